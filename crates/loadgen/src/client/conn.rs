//! Dialing: a TCP connection with `TCP_NODELAY`, optionally bound to one of several loopback
//! source addresses (so 50 000 sockets do not run out of ephemeral ports), then the
//! WebSocket handshake on it.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::WebSocketStream;

use super::Target;
use crate::error::{LoadError, Result};

pub type Socket = WebSocketStream<TcpStream>;

/// `n` loopback source addresses, 127.0.0.1 upwards, skipping `.0` and `.255` host bytes.
/// Empty for `n <= 1`: let the kernel choose.
pub fn source_ips(n: usize) -> Vec<IpAddr> {
    if n <= 1 {
        return Vec::new();
    }
    (u32::from(Ipv4Addr::new(127, 0, 0, 1))..u32::from(Ipv4Addr::new(127, 255, 255, 254)))
        .map(Ipv4Addr::from)
        .filter(|ip| !matches!(ip.octets()[3], 0 | 255))
        .take(n)
        .map(IpAddr::V4)
        .collect()
}

/// Opens client `index`'s socket.
pub async fn dial(target: &Target, index: u32) -> Result<Socket> {
    let fail = |e: std::io::Error| LoadError::socket(&target.ws_url, e);
    let socket = match target.addr {
        SocketAddr::V4(_) => TcpSocket::new_v4(),
        SocketAddr::V6(_) => TcpSocket::new_v6(),
    }
    .map_err(fail)?;
    if !target.source_ips.is_empty() {
        let ip = target.source_ips[index as usize % target.source_ips.len()];
        socket.bind(SocketAddr::new(ip, 0)).map_err(fail)?;
    }
    let stream = socket.connect(target.addr).await.map_err(fail)?;
    stream.set_nodelay(true).map_err(fail)?;
    let (ws, _) = tokio_tungstenite::client_async_with_config(
        target.ws_url.as_str(),
        stream,
        Some(target.ws_config),
    )
    .await
    .map_err(|e| LoadError::socket(&target.ws_url, e))?;
    Ok(ws)
}

/// Host and port of a `ws://` or `http://` URL, resolved.
pub async fn resolve(url: &str) -> Result<SocketAddr> {
    let rest = url
        .split_once("://")
        .map(|(_, r)| r)
        .ok_or_else(|| LoadError::usage(format!("`{url}` has no scheme")))?;
    let authority = rest.split('/').next().unwrap_or(rest);
    let hostport = if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    let mut addrs = tokio::net::lookup_host(hostport.as_str())
        .await
        .map_err(|e| LoadError::socket(url, e))?;
    addrs
        .next()
        .ok_or_else(|| LoadError::socket(url, "no address"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_addresses_stay_on_loopback_and_skip_network_and_broadcast_bytes() {
        assert!(source_ips(1).is_empty());
        let ips = source_ips(300);
        assert_eq!(ips.len(), 300);
        assert_eq!(ips[0], IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1)));
        assert_eq!(ips[253], IpAddr::V4(Ipv4Addr::new(127, 0, 0, 254)));
        assert_eq!(ips[254], IpAddr::V4(Ipv4Addr::new(127, 0, 1, 1)));
        assert!(ips.iter().all(|ip| ip.is_loopback()));
    }
}
