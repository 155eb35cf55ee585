//! 無通信の接続: a connection on which nothing is read or written for a while is closed,
//! whatever the protocol. hyper bounds an HTTP/1.1 client's headers and answers HTTP/2 pings,
//! but keeps a quiet, live connection open for ever; many of them would hold the server's
//! memory and sockets. The connection is wrapped before TLS, so the handshake counts too.

use std::future::{ready, Future, Ready};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum_server::accept::Accept;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{sleep, Instant, Sleep};

/// Wraps each accepted connection in an [`IdleStream`].
#[derive(Debug, Clone, Copy)]
pub struct IdleAcceptor(pub Duration);

impl<S> Accept<TcpStream, S> for IdleAcceptor {
    type Stream = IdleStream;
    type Service = S;
    type Future = Ready<io::Result<(IdleStream, S)>>;

    fn accept(&self, stream: TcpStream, service: S) -> Self::Future {
        let _ = stream.set_nodelay(true);
        let quiet = Box::pin(sleep(self.0));
        ready(Ok((IdleStream { inner: stream, idle: self.0, quiet }, service)))
    }
}

/// A connection whose reads fail once nothing has moved either way for its idle time.
pub struct IdleStream {
    inner: TcpStream,
    idle: Duration,
    quiet: Pin<Box<Sleep>>,
}

impl IdleStream {
    fn moved(&mut self) {
        self.quiet.as_mut().reset(Instant::now() + self.idle);
    }
}

impl AsyncRead for IdleStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(result) => {
                self.moved();
                Poll::Ready(result)
            }
            Poll::Pending => match self.quiet.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "idle connection")))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

impl AsyncWrite for IdleStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.inner).poll_write(cx, buf);
        if written.is_ready() {
            self.moved();
        }
        written
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
