"""ISO 4217 currencies in use and their minor units: how many decimals an amount in each may have.

The data is ISO 4217 list one (published 2026-01-01), less what is not money a payment is made in: the funds ISO
marks as such (BOV, CHE, CHW, CLF, COU, MXV, USN, UYI), and the X-codes other than the five circulating currencies
XAF, XCD, XCG, XOF and XPF (so no XXX, XTS, metals such as XAU, bond units, XDR, XSU, XUA or XAD).
tests/unit/test_currency.py checks this table against the `iso4217` package's copy of the ISO list.
"""

from __future__ import annotations

from decimal import Decimal

_CODES_BY_MINOR_UNITS = {
    0: "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF",
    2: (
        "AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF CNY COP "
        "CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS "
        "INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN "
        "MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE "
        "SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VED VES WST XCD XCG YER ZAR "
        "ZMW ZWG"
    ),
    3: "BHD IQD JOD KWD LYD OMR TND",
    4: "UYW",
}

MINOR_UNITS: dict[str, int] = {code: units for units, codes in _CODES_BY_MINOR_UNITS.items() for code in codes.split()}
"""Currency code -> the number of decimals of its minor unit (USD 2: cents; JPY 0; BHD 3)."""

QUANTUM: dict[str, Decimal] = {code: Decimal(1).scaleb(-units) for code, units in MINOR_UNITS.items()}
"""Currency code -> its minor unit as an exponent-exact Decimal (USD Decimal("0.01"), JPY Decimal("1")), for
`Decimal.quantize`."""
