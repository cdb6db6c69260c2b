//! Runs the SSO portal / SSO-OIDC fake for the local sandbox (`make sandbox`) until killed.
//! Usage: warden-sso-fake [PORT]   (prints the endpoint once it listens)

fn main() {
    let port = match std::env::args().nth(1).map(|p| p.parse::<u16>()) {
        None => 0,
        Some(Ok(p)) => p,
        Some(Err(_)) => {
            eprintln!("usage: warden-sso-fake [PORT]");
            std::process::exit(2);
        }
    };
    let fake = warden_test_support::sso_fake::FakeSso::start_on(port);
    println!("{}", fake.endpoint);
    loop {
        std::thread::park();
    }
}
