// Uses powermanage::asio alone: Asio compiled once, with the definitions it needs.
#include <cstdio>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

int main() {
    boost::asio::io_context io;
    int ran = 0;
    boost::asio::post(io, [&] { ++ran; });
    io.run();
    std::printf("asio: %d handler ran\n", ran);
    return ran == 1 ? 0 : 1;
}
