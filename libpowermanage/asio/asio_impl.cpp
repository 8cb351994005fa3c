// The one translation unit that compiles Asio's core (BOOST_ASIO_SEPARATE_COMPILATION is set
// on the `asio` module). Asio's OpenSSL layer and Beast are compiled in the rpc module
// (rpc/tls_beast_impl.cpp), so a module that only needs sockets and timers (db's LISTEN
// connection) does not link OpenSSL's TLS or Beast.

#include <boost/asio/impl/src.hpp>
