// The one translation unit that compiles Asio's OpenSSL layer and Beast
// (BOOST_ASIO_SEPARATE_COMPILATION and BOOST_BEAST_SEPARATE_COMPILATION come from the `asio`
// module; Asio's core is compiled there).

#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
