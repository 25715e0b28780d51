//! The interop scenario against the example homeserver, in this process: the same steps and
//! expectations as against Synapse (`cargo xtask interop`).

use homeserver::secrets::PasswordHasher;
use homeserver::server::{Config, Homeserver};

/// Starts the example homeserver on a free loopback port; its base URL and its folder.
async fn start() -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut config = Config::new("localhost", dir.path().join("homeserver.db"));
    config.hasher = PasswordHasher::insecure_fast();
    let server = Homeserver::open(config).expect("the database opens");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let address = listener.local_addr().expect("a bound address");
    tokio::spawn(async move { axum::serve(listener, homeserver::server::app(server)).await });
    (format!("http://{address}"), dir)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_scenario_passes_against_the_example_homeserver_on_v3_and_r0() {
    let (url, _dir) = start().await;
    for version in ["v3", "r0"] {
        let steps = interop::run(&url, version)
            .await
            .unwrap_or_else(|e| panic!("{version}: {e:#}"));
        assert_eq!(steps.len(), 12, "{steps:#?}");
        let names: Vec<&str> = steps.iter().map(|step| step.name).collect();
        assert!(names.contains(&"auth {} and {session}, with a token"), "{names:?}");
        assert!(names.contains(&"auth {} and {session}, without a token"), "{names:?}");
    }
}
