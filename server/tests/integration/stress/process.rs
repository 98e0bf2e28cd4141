//! A real `gatehouse serve` process for the stress cases that kill one.

use std::time::{Duration, Instant};

use crate::harness::TestDatabase;

/// A real `gatehouse serve` process on `database`, listening on a free port.
pub struct Process {
    child: std::process::Child,
    pub address: String,
    pub origin: String,
    /// Where the process's standard error goes (panics print there).
    pub stderr: std::path::PathBuf,
}

impl Process {
    pub async fn start(database: &TestDatabase) -> Self {
        Self::start_with(database, None, &[]).await
    }

    /// With `public_url` (as servers behind one load balancer share it; by default each its
    /// own) and further settings.
    pub async fn start_with(
        database: &TestDatabase,
        public_url: Option<&str>,
        vars: &[(&str, String)],
    ) -> Self {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
            listener.local_addr().expect("address").port()
        };
        let origin = public_url.map_or_else(|| format!("http://localhost:{port}"), str::to_owned);
        let stderr = database
            .key_file()
            .with_file_name(format!("gatehouse-{port}.stderr"));
        let stderr_file = std::fs::File::create(&stderr).expect("stderr file");
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("GATEHOUSE_LISTEN", format!("127.0.0.1:{port}"))
            .env("GATEHOUSE_PUBLIC_URL", &origin)
            .env("GATEHOUSE_DATABASE_URL", &database.url)
            .env("GATEHOUSE_SECRET_KEY_FILE", database.key_file())
            .env("GATEHOUSE_INVITE_EMAILS_PER_DAY_PER_TAILNET", "1000000")
            .env("GATEHOUSE_INVITE_EMAILS_PER_DAY_PER_PERSON", "1000000")
            .envs(vars.iter().map(|(name, value)| (*name, value.as_str())))
            .stdout(std::process::Stdio::null())
            .stderr(stderr_file)
            .spawn()
            .expect("start gatehouse");
        let address = format!("http://127.0.0.1:{port}");
        let probe = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        while probe.get(format!("{address}/login")).send().await.is_err() {
            assert!(Instant::now() < deadline, "gatehouse did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self {
            child,
            address,
            origin,
            stderr,
        }
    }

    /// Sends SIGTERM (as systemd stops a service) and waits up to a minute for the exit.
    pub async fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill -TERM");
        assert!(sent.success());
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "gatehouse did not stop on SIGTERM"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// What the process wrote to standard error so far.
    pub fn stderr_text(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    pub fn kill_nine(mut self) {
        // `Child::kill` sends SIGKILL: no shutdown code runs.
        self.child.kill().expect("kill -9");
        let _ = self.child.wait();
    }
}

/// A process a failed test left running is stopped with it.
impl Drop for Process {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A few nanoseconds of the clock, as a cheap random number for when to strike.
pub fn clock_noise(below: u64) -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .subsec_nanos();
    u64::from(nanos) % below
}
