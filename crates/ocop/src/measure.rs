//! Figures of a benchmark: percentiles of timings and how they print, and timed HTTP requests.

use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Percentile of sorted durations (nearest rank).
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub fn ms(duration: Duration) -> String {
    format!("{:.3} ms", duration.as_secs_f64() * 1000.0)
}

/// One HTTP/1.1 request on a fresh connection; the status and the body's length.
pub async fn request(
    addr: std::net::SocketAddr,
    head: &str,
    body: &str,
) -> anyhow::Result<(u16, usize)> {
    let mut stream = TcpStream::connect(addr).await?;
    stream
        .write_all(
            format!(
                "{head}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        )
        .await?;
    let mut reply = Vec::with_capacity(64 * 1024);
    stream.read_to_end(&mut reply).await?;
    let text = String::from_utf8_lossy(&reply);
    let status = text
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .context("no HTTP status")?;
    let length = text.find("\r\n\r\n").map_or(0, |i| reply.len() - i - 4);
    Ok((status, length))
}

/// Times `samples` requests made one after another.
pub async fn time(
    samples: usize,
    mut make: impl FnMut(usize) -> (String, String),
    addr: std::net::SocketAddr,
) -> anyhow::Result<(Vec<Duration>, usize)> {
    let mut timings = Vec::with_capacity(samples);
    let mut size = 0;
    for i in 0..samples {
        let (head, body) = make(i);
        let start = Instant::now();
        let (status, length) = request(addr, &head, &body).await?;
        timings.push(start.elapsed());
        anyhow::ensure!((200..300).contains(&status), "HTTP {status} for {head}");
        size = length;
    }
    timings.sort();
    Ok((timings, size))
}
