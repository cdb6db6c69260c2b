//! Fake but realistic-looking values. Every e-mail domain and web host is under the reserved
//! `example.*` names, and phone numbers use fictional ranges, so no generated value reaches a
//! real mailbox, site or line.

use crate::rng::Rng;

const FIRST_NAMES: &[&str] = &[
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Amelia",
    "Oliver",
    "Sophia",
    "Elijah",
    "Mia",
    "Lucas",
    "Ava",
    "Mateo",
    "Isabella",
    "Levi",
    "Charlotte",
    "Hugo",
    "Lena",
    "Jonas",
    "Chloé",
    "Louis",
    "Aarav",
    "Priya",
    "Yuki",
    "Haruto",
    "Sofía",
    "Diego",
    "Freya",
    "Oscar",
    "Ingrid",
    "Lars",
    "Fatima",
    "Omar",
    "Zoe",
    "Ethan",
    "Grace",
    "Samuel",
    "Hannah",
    "Daniel",
    "Nora",
    "Felix",
];

const LAST_NAMES: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Martínez",
    "Wilson",
    "Anderson",
    "Taylor",
    "Thomas",
    "Moore",
    "Martin",
    "Müller",
    "Schmidt",
    "Schneider",
    "Dubois",
    "Lefèvre",
    "Rossi",
    "Bianchi",
    "Sato",
    "Suzuki",
    "Tanaka",
    "Patel",
    "Sharma",
    "Singh",
    "Silva",
    "Santos",
    "O'Brien",
    "Murphy",
    "Kowalski",
    "Nowak",
    "Jansen",
    "de Vries",
    "Andersson",
    "Nielsen",
    "Hughes",
    "Clarke",
];

const EMAIL_DOMAINS: &[&str] = &[
    "example.com",
    "example.org",
    "example.net",
    "mail.example.com",
    "corp.example.org",
];

/// (country code, weight, international dialling prefix); skewed like a US-based shop.
pub(crate) const COUNTRIES: &[((&str, &str), u32)] = &[
    (("US", "+1"), 38),
    (("GB", "+44"), 12),
    (("DE", "+49"), 10),
    (("FR", "+33"), 8),
    (("CA", "+1"), 7),
    (("IN", "+91"), 6),
    (("BR", "+55"), 5),
    (("JP", "+81"), 4),
    (("AU", "+61"), 3),
    (("ES", "+34"), 2),
    (("NL", "+31"), 2),
    (("MX", "+52"), 1),
    (("SE", "+46"), 1),
    (("IE", "+353"), 1),
];

pub(crate) const SEGMENTS: &[(&str, u32)] =
    &[("consumer", 65), ("small_business", 27), ("enterprise", 8)];

pub(crate) const ORDER_STATUSES: &[(&str, u32)] = &[
    ("completed", 80),
    ("shipped", 8),
    ("pending", 5),
    ("cancelled", 4),
    ("refunded", 3),
];

pub(crate) const EVENT_TYPES: &[(&str, u32)] = &[
    ("page_view", 58),
    ("click", 20),
    ("add_to_cart", 10),
    ("search", 8),
    ("purchase", 4),
];

const USER_AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0",
];

const SEARCH_TERMS: &[&str] = &[
    "shoes",
    "rain+jacket",
    "headphones",
    "coffee+grinder",
    "backpack",
    "desk+lamp",
    "yoga+mat",
];

pub(crate) struct Person {
    pub full_name: String,
    pub email: String,
    pub phone: String,
    pub country: &'static str,
}

pub(crate) fn person(rng: &mut Rng, customer_id: i64) -> Person {
    let first = *rng.pick(FIRST_NAMES);
    let last = *rng.pick(LAST_NAMES);
    let (country, dial) = *rng.weighted(COUNTRIES);
    let domain = *rng.pick(EMAIL_DOMAINS);
    // The customer id keeps e-mail addresses unique, as a real shop's would be.
    let email = format!(
        "{}.{}{}@{domain}",
        ascii_lower(first),
        ascii_lower(last),
        customer_id
    );
    // 555-01xx style numbers are reserved for fiction in North America; elsewhere the digits are random.
    let phone = format!(
        "{dial} 555-01{:02}-{:04}",
        rng.range(0, 99),
        rng.range(0, 9_999)
    );
    Person {
        full_name: format!("{first} {last}"),
        email,
        phone,
        country,
    }
}

/// Lowercase ASCII letters only, as e-mail local parts usually are.
fn ascii_lower(name: &str) -> String {
    name.chars()
        .filter_map(|c| match c {
            'é' | 'è' => Some('e'),
            'í' => Some('i'),
            'ü' => Some('u'),
            c if c.is_ascii_alphabetic() => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

/// `###-##-####` with the rules real SSNs follow (no area 000, 666 or 9xx; no group 00; no serial 0000).
pub(crate) fn ssn(rng: &mut Rng) -> String {
    let mut area = rng.range(1, 899);
    if area == 666 {
        area = 665;
    }
    format!(
        "{area:03}-{:02}-{:04}",
        rng.range(1, 99),
        rng.range(1, 9_999)
    )
}

/// A 16-digit Visa- or Mastercard-like number whose last digit is the Luhn check digit.
pub(crate) fn card_number(rng: &mut Rng) -> String {
    let mut digits: Vec<u8> = if rng.chance(0.6) {
        vec![4]
    } else {
        vec![5, rng.range(1, 5) as u8]
    };
    while digits.len() < 15 {
        digits.push(rng.range(0, 9) as u8);
    }
    digits.push(luhn_check_digit(&digits));
    digits.iter().map(|d| char::from(b'0' + d)).collect()
}

/// The digit that makes `payload` followed by it pass the Luhn check.
pub(crate) fn luhn_check_digit(payload: &[u8]) -> u8 {
    let sum: u32 = payload
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 0 {
                let doubled = d * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                d
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// True when `number` is all digits and passes the Luhn check.
pub fn luhn_valid(number: &str) -> bool {
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let digits: Vec<u8> = number.bytes().map(|b| b - b'0').collect();
    let (payload, check) = digits.split_at(digits.len() - 1);
    luhn_check_digit(payload) == check[0]
}

/// A public-looking IPv4 address (private, loopback and multicast ranges avoided).
pub(crate) fn ip_address(rng: &mut Rng) -> String {
    let mut first = rng.range(1, 223);
    if first == 10 || first == 127 || first == 172 || first == 192 {
        first += 1;
    }
    format!(
        "{first}.{}.{}.{}",
        rng.range(0, 255),
        rng.range(0, 255),
        rng.range(1, 254)
    )
}

pub(crate) fn user_agent(rng: &mut Rng) -> &'static str {
    let agent: &&'static str = rng.pick(USER_AGENTS);
    agent
}

/// A page of the demo shop that fits the event type.
pub(crate) fn url(rng: &mut Rng, event_type: &str) -> String {
    const HOST: &str = "https://shop.example.com";
    match event_type {
        "search" => format!("{HOST}/search?q={}", rng.pick(SEARCH_TERMS)),
        "add_to_cart" => format!("{HOST}/cart"),
        "purchase" => format!("{HOST}/checkout/complete"),
        _ => match rng.range(0, 9) {
            0 => format!("{HOST}/"),
            1 => format!("{HOST}/account"),
            2 => format!("{HOST}/checkout"),
            _ => format!("{HOST}/products/{}", rng.range(1_000, 1_999)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_accepts_known_numbers_and_rejects_others() {
        assert!(luhn_valid("4111111111111111"));
        assert!(luhn_valid("5555555555554444"));
        assert!(luhn_valid("79927398713"));
        assert!(!luhn_valid("4111111111111112"));
        assert!(!luhn_valid("4111-1111-1111-1111"));
        assert!(!luhn_valid(""));
    }

    #[test]
    fn generated_cards_are_16_digit_luhn_valid_visa_or_mastercard() {
        let mut rng = Rng::new(42);
        for _ in 0..1_000 {
            let card = card_number(&mut rng);
            assert_eq!(card.len(), 16, "{card}");
            assert!(luhn_valid(&card), "{card}");
            assert!(
                card.starts_with('4') || ("51"..="55").contains(&&card[..2]),
                "{card}"
            );
        }
    }

    #[test]
    fn ssns_have_the_us_shape_and_rules() {
        let mut rng = Rng::new(5);
        for _ in 0..1_000 {
            let s = ssn(&mut rng);
            let parts: Vec<&str> = s.split('-').collect();
            assert_eq!(
                parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
                vec![3, 2, 4],
                "{s}"
            );
            assert!(
                parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())),
                "{s}"
            );
            assert!(
                !["000", "666"].contains(&parts[0]) && !parts[0].starts_with('9'),
                "{s}"
            );
            assert_ne!(parts[1], "00");
            assert_ne!(parts[2], "0000");
        }
    }

    #[test]
    fn emails_are_ascii_and_under_example_domains() {
        let mut rng = Rng::new(11);
        for id in 1..500 {
            let p = person(&mut rng, id);
            assert!(p.email.is_ascii(), "{}", p.email);
            assert!(
                p.email.ends_with(".com") || p.email.ends_with(".org") || p.email.ends_with(".net")
            );
            assert!(
                p.email.contains("@") && p.email.contains("example."),
                "{}",
                p.email
            );
            assert!(p.email.contains(&id.to_string()));
            assert!(p.full_name.contains(' '));
        }
    }

    #[test]
    fn ip_addresses_avoid_private_and_loopback_ranges() {
        let mut rng = Rng::new(13);
        for _ in 0..2_000 {
            let ip = ip_address(&mut rng);
            let octets: Vec<u16> = ip.split('.').map(|o| o.parse().unwrap_or(999)).collect();
            assert_eq!(octets.len(), 4, "{ip}");
            assert!(octets.iter().all(|o| *o <= 255), "{ip}");
            assert!(
                ![0, 10, 127, 172, 192].contains(&octets[0]) && octets[0] < 224,
                "{ip}"
            );
        }
    }
}
