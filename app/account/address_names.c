/* The names shoppers read and type for countries, US states and Canadian
 * provinces (address.h): what the checkout and address forms offer as
 * choices, and what a state typed as its name ("California") is taken for.
 * Pure data and lookups, no database. Country names: Debian's iso-codes
 * (iso_3166-1.json), its common names where it has them, a few shortened
 * to the names shops use ("United States", "United Kingdom", "Russia"). */
#include <ctype.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>
#include "../core/text.h"
#include "address.h"

/* Sorted by name, as the form lists them. */
static const struct address_choice countries[] = {
	{ "AF", "Afghanistan" },
	{ "AX", "Åland Islands" },
	{ "AL", "Albania" },
	{ "DZ", "Algeria" },
	{ "AS", "American Samoa" },
	{ "AD", "Andorra" },
	{ "AO", "Angola" },
	{ "AI", "Anguilla" },
	{ "AQ", "Antarctica" },
	{ "AG", "Antigua and Barbuda" },
	{ "AR", "Argentina" },
	{ "AM", "Armenia" },
	{ "AW", "Aruba" },
	{ "AU", "Australia" },
	{ "AT", "Austria" },
	{ "AZ", "Azerbaijan" },
	{ "BS", "Bahamas" },
	{ "BH", "Bahrain" },
	{ "BD", "Bangladesh" },
	{ "BB", "Barbados" },
	{ "BY", "Belarus" },
	{ "BE", "Belgium" },
	{ "BZ", "Belize" },
	{ "BJ", "Benin" },
	{ "BM", "Bermuda" },
	{ "BT", "Bhutan" },
	{ "BO", "Bolivia" },
	{ "BA", "Bosnia and Herzegovina" },
	{ "BW", "Botswana" },
	{ "BV", "Bouvet Island" },
	{ "BR", "Brazil" },
	{ "IO", "British Indian Ocean Territory" },
	{ "VG", "British Virgin Islands" },
	{ "BN", "Brunei" },
	{ "BG", "Bulgaria" },
	{ "BF", "Burkina Faso" },
	{ "BI", "Burundi" },
	{ "CV", "Cabo Verde" },
	{ "KH", "Cambodia" },
	{ "CM", "Cameroon" },
	{ "CA", "Canada" },
	{ "BQ", "Caribbean Netherlands" },
	{ "KY", "Cayman Islands" },
	{ "CF", "Central African Republic" },
	{ "TD", "Chad" },
	{ "CL", "Chile" },
	{ "CN", "China" },
	{ "CX", "Christmas Island" },
	{ "CC", "Cocos (Keeling) Islands" },
	{ "CO", "Colombia" },
	{ "KM", "Comoros" },
	{ "CG", "Congo" },
	{ "CD", "Congo (Democratic Republic)" },
	{ "CK", "Cook Islands" },
	{ "CR", "Costa Rica" },
	{ "CI", "Côte d'Ivoire" },
	{ "HR", "Croatia" },
	{ "CU", "Cuba" },
	{ "CW", "Curaçao" },
	{ "CY", "Cyprus" },
	{ "CZ", "Czechia" },
	{ "DK", "Denmark" },
	{ "DJ", "Djibouti" },
	{ "DM", "Dominica" },
	{ "DO", "Dominican Republic" },
	{ "EC", "Ecuador" },
	{ "EG", "Egypt" },
	{ "SV", "El Salvador" },
	{ "GQ", "Equatorial Guinea" },
	{ "ER", "Eritrea" },
	{ "EE", "Estonia" },
	{ "SZ", "Eswatini" },
	{ "ET", "Ethiopia" },
	{ "FK", "Falkland Islands" },
	{ "FO", "Faroe Islands" },
	{ "FJ", "Fiji" },
	{ "FI", "Finland" },
	{ "FR", "France" },
	{ "GF", "French Guiana" },
	{ "PF", "French Polynesia" },
	{ "TF", "French Southern Territories" },
	{ "GA", "Gabon" },
	{ "GM", "Gambia" },
	{ "GE", "Georgia" },
	{ "DE", "Germany" },
	{ "GH", "Ghana" },
	{ "GI", "Gibraltar" },
	{ "GR", "Greece" },
	{ "GL", "Greenland" },
	{ "GD", "Grenada" },
	{ "GP", "Guadeloupe" },
	{ "GU", "Guam" },
	{ "GT", "Guatemala" },
	{ "GG", "Guernsey" },
	{ "GN", "Guinea" },
	{ "GW", "Guinea-Bissau" },
	{ "GY", "Guyana" },
	{ "HT", "Haiti" },
	{ "HM", "Heard Island and McDonald Islands" },
	{ "HN", "Honduras" },
	{ "HK", "Hong Kong" },
	{ "HU", "Hungary" },
	{ "IS", "Iceland" },
	{ "IN", "India" },
	{ "ID", "Indonesia" },
	{ "IR", "Iran" },
	{ "IQ", "Iraq" },
	{ "IE", "Ireland" },
	{ "IM", "Isle of Man" },
	{ "IL", "Israel" },
	{ "IT", "Italy" },
	{ "JM", "Jamaica" },
	{ "JP", "Japan" },
	{ "JE", "Jersey" },
	{ "JO", "Jordan" },
	{ "KZ", "Kazakhstan" },
	{ "KE", "Kenya" },
	{ "KI", "Kiribati" },
	{ "KW", "Kuwait" },
	{ "KG", "Kyrgyzstan" },
	{ "LA", "Laos" },
	{ "LV", "Latvia" },
	{ "LB", "Lebanon" },
	{ "LS", "Lesotho" },
	{ "LR", "Liberia" },
	{ "LY", "Libya" },
	{ "LI", "Liechtenstein" },
	{ "LT", "Lithuania" },
	{ "LU", "Luxembourg" },
	{ "MO", "Macao" },
	{ "MG", "Madagascar" },
	{ "MW", "Malawi" },
	{ "MY", "Malaysia" },
	{ "MV", "Maldives" },
	{ "ML", "Mali" },
	{ "MT", "Malta" },
	{ "MH", "Marshall Islands" },
	{ "MQ", "Martinique" },
	{ "MR", "Mauritania" },
	{ "MU", "Mauritius" },
	{ "YT", "Mayotte" },
	{ "MX", "Mexico" },
	{ "FM", "Micronesia" },
	{ "MD", "Moldova" },
	{ "MC", "Monaco" },
	{ "MN", "Mongolia" },
	{ "ME", "Montenegro" },
	{ "MS", "Montserrat" },
	{ "MA", "Morocco" },
	{ "MZ", "Mozambique" },
	{ "MM", "Myanmar" },
	{ "NA", "Namibia" },
	{ "NR", "Nauru" },
	{ "NP", "Nepal" },
	{ "NL", "Netherlands" },
	{ "NC", "New Caledonia" },
	{ "NZ", "New Zealand" },
	{ "NI", "Nicaragua" },
	{ "NE", "Niger" },
	{ "NG", "Nigeria" },
	{ "NU", "Niue" },
	{ "NF", "Norfolk Island" },
	{ "KP", "North Korea" },
	{ "MK", "North Macedonia" },
	{ "MP", "Northern Mariana Islands" },
	{ "NO", "Norway" },
	{ "OM", "Oman" },
	{ "PK", "Pakistan" },
	{ "PW", "Palau" },
	{ "PS", "Palestine" },
	{ "PA", "Panama" },
	{ "PG", "Papua New Guinea" },
	{ "PY", "Paraguay" },
	{ "PE", "Peru" },
	{ "PH", "Philippines" },
	{ "PN", "Pitcairn" },
	{ "PL", "Poland" },
	{ "PT", "Portugal" },
	{ "PR", "Puerto Rico" },
	{ "QA", "Qatar" },
	{ "RE", "Réunion" },
	{ "RO", "Romania" },
	{ "RU", "Russia" },
	{ "RW", "Rwanda" },
	{ "BL", "Saint Barthélemy" },
	{ "SH", "Saint Helena, Ascension and Tristan da Cunha" },
	{ "KN", "Saint Kitts and Nevis" },
	{ "LC", "Saint Lucia" },
	{ "MF", "Saint Martin (French part)" },
	{ "PM", "Saint Pierre and Miquelon" },
	{ "VC", "Saint Vincent and the Grenadines" },
	{ "WS", "Samoa" },
	{ "SM", "San Marino" },
	{ "ST", "Sao Tome and Principe" },
	{ "SA", "Saudi Arabia" },
	{ "SN", "Senegal" },
	{ "RS", "Serbia" },
	{ "SC", "Seychelles" },
	{ "SL", "Sierra Leone" },
	{ "SG", "Singapore" },
	{ "SX", "Sint Maarten (Dutch part)" },
	{ "SK", "Slovakia" },
	{ "SI", "Slovenia" },
	{ "SB", "Solomon Islands" },
	{ "SO", "Somalia" },
	{ "ZA", "South Africa" },
	{ "GS", "South Georgia and the South Sandwich Islands" },
	{ "KR", "South Korea" },
	{ "SS", "South Sudan" },
	{ "ES", "Spain" },
	{ "LK", "Sri Lanka" },
	{ "SD", "Sudan" },
	{ "SR", "Suriname" },
	{ "SJ", "Svalbard and Jan Mayen" },
	{ "SE", "Sweden" },
	{ "CH", "Switzerland" },
	{ "SY", "Syria" },
	{ "TW", "Taiwan" },
	{ "TJ", "Tajikistan" },
	{ "TZ", "Tanzania" },
	{ "TH", "Thailand" },
	{ "TL", "Timor-Leste" },
	{ "TG", "Togo" },
	{ "TK", "Tokelau" },
	{ "TO", "Tonga" },
	{ "TT", "Trinidad and Tobago" },
	{ "TN", "Tunisia" },
	{ "TR", "Türkiye" },
	{ "TM", "Turkmenistan" },
	{ "TC", "Turks and Caicos Islands" },
	{ "TV", "Tuvalu" },
	{ "UM", "U.S. Minor Outlying Islands" },
	{ "VI", "U.S. Virgin Islands" },
	{ "UG", "Uganda" },
	{ "UA", "Ukraine" },
	{ "AE", "United Arab Emirates" },
	{ "GB", "United Kingdom" },
	{ "US", "United States" },
	{ "UY", "Uruguay" },
	{ "UZ", "Uzbekistan" },
	{ "VU", "Vanuatu" },
	{ "VA", "Vatican City" },
	{ "VE", "Venezuela" },
	{ "VN", "Vietnam" },
	{ "WF", "Wallis and Futuna" },
	{ "EH", "Western Sahara" },
	{ "YE", "Yemen" },
	{ "ZM", "Zambia" },
	{ "ZW", "Zimbabwe" },
};

/* The 50 states and DC, then the territories and military mail (USPS). */
static const struct address_choice us_states[] = {
	{ "AL", "Alabama" },
	{ "AK", "Alaska" },
	{ "AZ", "Arizona" },
	{ "AR", "Arkansas" },
	{ "CA", "California" },
	{ "CO", "Colorado" },
	{ "CT", "Connecticut" },
	{ "DE", "Delaware" },
	{ "DC", "District of Columbia" },
	{ "FL", "Florida" },
	{ "GA", "Georgia" },
	{ "HI", "Hawaii" },
	{ "ID", "Idaho" },
	{ "IL", "Illinois" },
	{ "IN", "Indiana" },
	{ "IA", "Iowa" },
	{ "KS", "Kansas" },
	{ "KY", "Kentucky" },
	{ "LA", "Louisiana" },
	{ "ME", "Maine" },
	{ "MD", "Maryland" },
	{ "MA", "Massachusetts" },
	{ "MI", "Michigan" },
	{ "MN", "Minnesota" },
	{ "MS", "Mississippi" },
	{ "MO", "Missouri" },
	{ "MT", "Montana" },
	{ "NE", "Nebraska" },
	{ "NV", "Nevada" },
	{ "NH", "New Hampshire" },
	{ "NJ", "New Jersey" },
	{ "NM", "New Mexico" },
	{ "NY", "New York" },
	{ "NC", "North Carolina" },
	{ "ND", "North Dakota" },
	{ "OH", "Ohio" },
	{ "OK", "Oklahoma" },
	{ "OR", "Oregon" },
	{ "PA", "Pennsylvania" },
	{ "RI", "Rhode Island" },
	{ "SC", "South Carolina" },
	{ "SD", "South Dakota" },
	{ "TN", "Tennessee" },
	{ "TX", "Texas" },
	{ "UT", "Utah" },
	{ "VT", "Vermont" },
	{ "VA", "Virginia" },
	{ "WA", "Washington" },
	{ "WV", "West Virginia" },
	{ "WI", "Wisconsin" },
	{ "WY", "Wyoming" },
	{ "AS", "American Samoa" },
	{ "GU", "Guam" },
	{ "MP", "Northern Mariana Islands" },
	{ "PR", "Puerto Rico" },
	{ "UM", "U.S. Minor Outlying Islands" },
	{ "VI", "U.S. Virgin Islands" },
	{ "AA", "Armed Forces Americas" },
	{ "AE", "Armed Forces Europe" },
	{ "AP", "Armed Forces Pacific" },
};

static const struct address_choice ca_provinces[] = {
	{ "AB", "Alberta" },
	{ "BC", "British Columbia" },
	{ "MB", "Manitoba" },
	{ "NB", "New Brunswick" },
	{ "NL", "Newfoundland and Labrador" },
	{ "NS", "Nova Scotia" },
	{ "NT", "Northwest Territories" },
	{ "NU", "Nunavut" },
	{ "ON", "Ontario" },
	{ "PE", "Prince Edward Island" },
	{ "QC", "Quebec" },
	{ "SK", "Saskatchewan" },
	{ "YT", "Yukon" },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const struct address_choice *address_countries(size_t *n)
{
	*n = NELEM(countries);
	return countries;
}

const char *address_country_from_language(const char *al)
{
	char tags[16][TEXT_LANG_TAG];
	size_t n = text_languages(al, tags, 16);

	for (size_t i = 0; i < n; i++) {
		/* The region: the first subtag after the language of two letters. */
		for (const char *p = strchr(tags[i], '-'); p; p = strchr(p + 1, '-')) {
			char code[3];

			if (!isalpha((unsigned char)p[1]) || !isalpha((unsigned char)p[2]) || (p[3] && p[3] != '-'))
				continue;
			code[0] = (char)toupper((unsigned char)p[1]);
			code[1] = (char)toupper((unsigned char)p[2]);
			code[2] = '\0';
			for (size_t k = 0; k < NELEM(countries); k++)
				if (!strcmp(countries[k].code, code))
					return countries[k].code;
			break;
		}
	}
	return NULL;
}

const struct address_choice *address_us_states(size_t *n)
{
	*n = NELEM(us_states);
	return us_states;
}

const struct address_choice *address_ca_provinces(size_t *n)
{
	*n = NELEM(ca_provinces);
	return ca_provinces;
}

/* The span of s without surrounding blanks and a final period. */
static const char *span(const char *s, size_t *n)
{
	const char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '.'))
		e--;
	*n = (size_t)(e - s);
	return s;
}

static const char *find_name(const struct address_choice *list, size_t nlist, const char *in)
{
	size_t n;
	const char *s;

	if (!in)
		return NULL;
	s = span(in, &n);
	for (size_t i = 0; i < nlist; i++)
		if (strlen(list[i].name) == n && !strncasecmp(list[i].name, s, n))
			return list[i].code;
	return NULL;
}

const char *address_region_by_name(const char *country, const char *in)
{
	if (country && !strcmp(country, "US"))
		return find_name(us_states, NELEM(us_states), in);
	if (country && !strcmp(country, "CA"))
		return find_name(ca_provinces, NELEM(ca_provinces), in);
	return NULL;
}

const char *address_country_by_name(const char *in)
{
	return find_name(countries, NELEM(countries), in);
}

const char *address_country_name(const char *code)
{
	for (size_t i = 0; code && i < NELEM(countries); i++)
		if (!strcmp(countries[i].code, code))
			return countries[i].name;
	return NULL;
}
