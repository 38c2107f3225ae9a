"""Places in ODRL spatial constraints: countries, the EU, the EEA and Europe.

A place arrives as an ISO 3166-1 alpha-2 or alpha-3 code (any case), or as an IRI of the
EU Publications Office authority tables (``.../authority/country/DEU``, ``.../country/EUR``
for the European Union, ``.../continent/EUROPE``). Greece is ``GR`` in ISO and ``EL`` in EU
usage, the United Kingdom ``GB`` and ``UK``; both are accepted and :func:`country_code`
answers the ISO code. Kosovo, which has no ISO code, is not known.

Territories with their own ISO code that are part of a member state and of the EU (Åland,
the French outermost regions) count as inside the EU and the EEA; overseas countries and
territories outside the EU (Greenland, the Faroe Islands, Aruba, ...) do not.

"Europe" is a continent, not a legal area: EEA countries, the other states and territories
wholly in Europe and Cyprus (an EU member) are in it, transcontinental states (Russia,
Türkiye, the South Caucasus, Kazakhstan) and the French outermost regions are left to
review, and every other country is outside it.
"""

from __future__ import annotations

from catalog.namespaces import EU_COUNTRY

_EU_COUNTRY = str(EU_COUNTRY)
_CONTINENT = "http://publications.europa.eu/resource/authority/continent/"

#: ISO 3166-1: alpha-2, alpha-3 and English short name (from the ISO list as published in
#: Debian's iso-codes 4.15; names shortened to plain words, "the" where English needs it).
_ISO_3166_1 = """
AD AND Andorra
AE ARE the United Arab Emirates
AF AFG Afghanistan
AG ATG Antigua and Barbuda
AI AIA Anguilla
AL ALB Albania
AM ARM Armenia
AO AGO Angola
AQ ATA Antarctica
AR ARG Argentina
AS ASM American Samoa
AT AUT Austria
AU AUS Australia
AW ABW Aruba
AX ALA Åland Islands
AZ AZE Azerbaijan
BA BIH Bosnia and Herzegovina
BB BRB Barbados
BD BGD Bangladesh
BE BEL Belgium
BF BFA Burkina Faso
BG BGR Bulgaria
BH BHR Bahrain
BI BDI Burundi
BJ BEN Benin
BL BLM Saint Barthélemy
BM BMU Bermuda
BN BRN Brunei Darussalam
BO BOL Bolivia
BQ BES Bonaire, Sint Eustatius and Saba
BR BRA Brazil
BS BHS the Bahamas
BT BTN Bhutan
BV BVT Bouvet Island
BW BWA Botswana
BY BLR Belarus
BZ BLZ Belize
CA CAN Canada
CC CCK the Cocos (Keeling) Islands
CD COD the Democratic Republic of the Congo
CF CAF the Central African Republic
CG COG the Republic of the Congo
CH CHE Switzerland
CI CIV Côte d'Ivoire
CK COK the Cook Islands
CL CHL Chile
CM CMR Cameroon
CN CHN China
CO COL Colombia
CR CRI Costa Rica
CU CUB Cuba
CV CPV Cabo Verde
CW CUW Curaçao
CX CXR Christmas Island
CY CYP Cyprus
CZ CZE Czechia
DE DEU Germany
DJ DJI Djibouti
DK DNK Denmark
DM DMA Dominica
DO DOM the Dominican Republic
DZ DZA Algeria
EC ECU Ecuador
EE EST Estonia
EG EGY Egypt
EH ESH Western Sahara
ER ERI Eritrea
ES ESP Spain
ET ETH Ethiopia
FI FIN Finland
FJ FJI Fiji
FK FLK the Falkland Islands
FM FSM Micronesia
FO FRO the Faroe Islands
FR FRA France
GA GAB Gabon
GB GBR the United Kingdom
GD GRD Grenada
GE GEO Georgia
GF GUF French Guiana
GG GGY Guernsey
GH GHA Ghana
GI GIB Gibraltar
GL GRL Greenland
GM GMB the Gambia
GN GIN Guinea
GP GLP Guadeloupe
GQ GNQ Equatorial Guinea
GR GRC Greece
GS SGS South Georgia and the South Sandwich Islands
GT GTM Guatemala
GU GUM Guam
GW GNB Guinea-Bissau
GY GUY Guyana
HK HKG Hong Kong
HM HMD Heard Island and McDonald Islands
HN HND Honduras
HR HRV Croatia
HT HTI Haiti
HU HUN Hungary
ID IDN Indonesia
IE IRL Ireland
IL ISR Israel
IM IMN Isle of Man
IN IND India
IO IOT British Indian Ocean Territory
IQ IRQ Iraq
IR IRN Iran
IS ISL Iceland
IT ITA Italy
JE JEY Jersey
JM JAM Jamaica
JO JOR Jordan
JP JPN Japan
KE KEN Kenya
KG KGZ Kyrgyzstan
KH KHM Cambodia
KI KIR Kiribati
KM COM the Comoros
KN KNA Saint Kitts and Nevis
KP PRK North Korea
KR KOR South Korea
KW KWT Kuwait
KY CYM the Cayman Islands
KZ KAZ Kazakhstan
LA LAO Laos
LB LBN Lebanon
LC LCA Saint Lucia
LI LIE Liechtenstein
LK LKA Sri Lanka
LR LBR Liberia
LS LSO Lesotho
LT LTU Lithuania
LU LUX Luxembourg
LV LVA Latvia
LY LBY Libya
MA MAR Morocco
MC MCO Monaco
MD MDA Moldova
ME MNE Montenegro
MF MAF Saint Martin (French part)
MG MDG Madagascar
MH MHL the Marshall Islands
MK MKD North Macedonia
ML MLI Mali
MM MMR Myanmar
MN MNG Mongolia
MO MAC Macao
MP MNP the Northern Mariana Islands
MQ MTQ Martinique
MR MRT Mauritania
MS MSR Montserrat
MT MLT Malta
MU MUS Mauritius
MV MDV the Maldives
MW MWI Malawi
MX MEX Mexico
MY MYS Malaysia
MZ MOZ Mozambique
NA NAM Namibia
NC NCL New Caledonia
NE NER Niger
NF NFK Norfolk Island
NG NGA Nigeria
NI NIC Nicaragua
NL NLD the Netherlands
NO NOR Norway
NP NPL Nepal
NR NRU Nauru
NU NIU Niue
NZ NZL New Zealand
OM OMN Oman
PA PAN Panama
PE PER Peru
PF PYF French Polynesia
PG PNG Papua New Guinea
PH PHL the Philippines
PK PAK Pakistan
PL POL Poland
PM SPM Saint Pierre and Miquelon
PN PCN Pitcairn
PR PRI Puerto Rico
PS PSE Palestine
PT PRT Portugal
PW PLW Palau
PY PRY Paraguay
QA QAT Qatar
RE REU Réunion
RO ROU Romania
RS SRB Serbia
RU RUS Russia
RW RWA Rwanda
SA SAU Saudi Arabia
SB SLB the Solomon Islands
SC SYC the Seychelles
SD SDN Sudan
SE SWE Sweden
SG SGP Singapore
SH SHN Saint Helena, Ascension and Tristan da Cunha
SI SVN Slovenia
SJ SJM Svalbard and Jan Mayen
SK SVK Slovakia
SL SLE Sierra Leone
SM SMR San Marino
SN SEN Senegal
SO SOM Somalia
SR SUR Suriname
SS SSD South Sudan
ST STP Sao Tome and Principe
SV SLV El Salvador
SX SXM Sint Maarten (Dutch part)
SY SYR Syria
SZ SWZ Eswatini
TC TCA the Turks and Caicos Islands
TD TCD Chad
TF ATF French Southern Territories
TG TGO Togo
TH THA Thailand
TJ TJK Tajikistan
TK TKL Tokelau
TL TLS Timor-Leste
TM TKM Turkmenistan
TN TUN Tunisia
TO TON Tonga
TR TUR Türkiye
TT TTO Trinidad and Tobago
TV TUV Tuvalu
TW TWN Taiwan
TZ TZA Tanzania
UA UKR Ukraine
UG UGA Uganda
UM UMI the United States Minor Outlying Islands
US USA the United States
UY URY Uruguay
UZ UZB Uzbekistan
VA VAT Vatican City
VC VCT Saint Vincent and the Grenadines
VE VEN Venezuela
VG VGB the British Virgin Islands
VI VIR the US Virgin Islands
VN VNM Vietnam
VU VUT Vanuatu
WF WLF Wallis and Futuna
WS WSM Samoa
YE YEM Yemen
YT MYT Mayotte
ZA ZAF South Africa
ZM ZMB Zambia
ZW ZWE Zimbabwe
"""
_COUNTRIES = tuple((line[:2], line[3:6], line[7:]) for line in _ISO_3166_1.strip().splitlines())
_ALPHA2 = {a2 for a2, _, _ in _COUNTRIES}
_FROM_ALPHA3 = {a3: a2 for a2, a3, _ in _COUNTRIES}
_NAMES = {a2: name for a2, _, name in _COUNTRIES}
#: Codes outside ISO 3166-1 that EU sources use: Greece (EL) and the United Kingdom (UK).
_ALPHA2_ALIASES = {"EL": "GR", "UK": "GB"}

EU_MEMBERS: frozenset[str] = frozenset({
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "EL", "HU",
    "IE", "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
})  # fmt: skip
EEA_MEMBERS: frozenset[str] = EU_MEMBERS | {"IS", "LI", "NO"}
#: Åland (FI) and the French outermost regions: their own ISO codes, inside the EU.
_EU_TERRITORIES = frozenset({"AX", "GF", "GP", "MQ", "RE", "YT", "MF"})
#: Wholly in Europe besides the EEA: microstates, the Western Balkans, Crown dependencies.
_IN_EUROPE = EEA_MEMBERS | frozenset({
    "AX", "AD", "AL", "BA", "BY", "CH", "FO", "GB", "GG", "GI", "IM", "JE", "MC", "MD",
    "ME", "MK", "RS", "SJ", "SM", "UA", "VA",
})  # fmt: skip
#: Transcontinental states, and EU regions outside the continent: left to review.
_MAYBE_IN_EUROPE = frozenset({
    "AM", "AZ", "GE", "KZ", "RU", "TR", "GF", "GP", "MQ", "RE", "YT", "MF",
})  # fmt: skip

_EU, _EEA, _EUROPE = "EU", "EEA", "EUROPE"
_AREA_NAMES = {
    _EU: "the European Union",
    _EEA: "the European Economic Area",
    _EUROPE: "Europe",
}
_AREA_ALIASES = {
    "EU": _EU,
    "EUR": _EU,
    "EUROPEAN UNION": _EU,
    _EU_COUNTRY + "EUR": _EU,
    "EEA": _EEA,
    "EUROPEAN ECONOMIC AREA": _EEA,
    "EUROPE": _EUROPE,
    _CONTINENT + "EUROPE": _EUROPE,
}


def _clean(value: str) -> str:
    return str(value).strip().removeprefix("<").removesuffix(">").strip()


def country_code(value: str) -> str | None:
    """The ISO alpha-2 code of a country given as alpha-2, alpha-3 or EU authority IRI."""
    s = _clean(value)
    if s.startswith(_EU_COUNTRY):
        return _FROM_ALPHA3.get(s[len(_EU_COUNTRY) :])
    code = s.upper()
    code = _ALPHA2_ALIASES.get(code, code)
    if code in _ALPHA2:
        return code
    return _FROM_ALPHA3.get(code)


def _area(value: str) -> str | None:
    s = _clean(value)
    return _AREA_ALIASES.get(s) or _AREA_ALIASES.get(s.upper())


def area_contains(area: str, country: str) -> bool | None:
    """Is the country inside the area? None when either is not a place this module knows."""
    cc = country_code(country)
    if cc is None:
        return None
    region = _area(area)
    if region == _EU:
        return cc in EU_MEMBERS or cc in _EU_TERRITORIES
    if region == _EEA:
        return cc in EEA_MEMBERS or cc in _EU_TERRITORIES
    if region == _EUROPE:
        return None if cc in _MAYBE_IN_EUROPE else cc in _IN_EUROPE
    other = country_code(area)
    return None if other is None else other == cc


def describe_area(area: str) -> str:
    """The area in plain words ("the European Union", "Germany"); unknown values as given."""
    region = _area(area)
    if region is not None:
        return _AREA_NAMES[region]
    cc = country_code(area)
    return _NAMES[cc] if cc else _clean(area)


__all__ = ["EEA_MEMBERS", "EU_MEMBERS", "area_contains", "country_code", "describe_area"]
