#include <chrono>
#include <set>
#include <stdexcept>
#include <string>

#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <powermanage/auth/jwt.hpp>
#include <powermanage/common/base64.hpp>

namespace pm::auth {
namespace {

using namespace std::chrono;
namespace json = boost::json;

const std::string kSecret = "0123456789abcdef0123456789abcdef-test-secret";
const system_clock::time_point kIat{seconds(1'795'000'000)};
const system_clock::time_point kExp = kIat + minutes(15);

// An implementation independent of the library's: RFC 4648 base64url, written out plainly.
std::string b64url(std::string_view in) {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    unsigned buffer = 0;
    int bits = 0;
    for (const unsigned char c : in) {
        buffer = (buffer << 8) | c;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out += kAlphabet[(buffer >> bits) & 0x3F];
        }
    }
    if (bits > 0) {
        out += kAlphabet[(buffer << (6 - bits)) & 0x3F];
    }
    return out;
}

std::string b64url_decode(std::string_view in) {
    const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    unsigned buffer = 0;
    int bits = 0;
    for (const char c : in) {
        buffer = (buffer << 6) | static_cast<unsigned>(alphabet.find(c));
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((buffer >> bits) & 0xFF);
        }
    }
    return out;
}

std::string mac(const EVP_MD* md, std::string_view key, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(md, key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &length);
    return std::string(reinterpret_cast<const char*>(out), length);
}

// A token built by hand: `header` and `payload` JSON texts, signed with `md` (or unsigned).
std::string make_token(std::string_view header, std::string_view payload,
                       const EVP_MD* md = EVP_sha256(), std::string_view key = kSecret) {
    const std::string input = b64url(header) + "." + b64url(payload);
    return input + "." + (md == nullptr ? std::string() : b64url(mac(md, key, input)));
}

std::string payload_json(std::string_view type = "access", std::int64_t exp = 1'795'000'900,
                         std::string_view iss = "power-manage") {
    json::object p;
    p["jti"] = "01JDQ4W3ZP5V7Y8C9D0E1F2G3H";
    p["iss"] = iss;
    p["sub"] = "01JDQ4W3ZP5V7Y8C9D0E1F2G3A";
    p["iat"] = 1'795'000'000;
    p["exp"] = exp;
    p["uid"] = "01JDQ4W3ZP5V7Y8C9D0E1F2G3A";
    p["email"] = "alice@example.com";
    p["role"] = "user";
    p["type"] = type;
    return json::serialize(p);
}

constexpr std::string_view kHs256 = R"({"alg":"HS256","typ":"JWT"})";

Claims sample_claims() {
    Claims c;
    c.jti = "01JDQ4W3ZP5V7Y8C9D0E1F2G3H";
    c.user_id = "01JDQ4W3ZP5V7Y8C9D0E1F2G3A";
    c.email = "alice@example.com";
    c.role = "admin";
    c.type = TokenType::refresh;
    c.session_version = 7;
    c.family = "01JDQ4W3ZP5V7Y8C9D0E1F2G3F";
    c.issued_at = kIat;
    c.expires_at = kExp;
    return c;
}

json::object decoded_part(const std::string& token, std::size_t part) {
    std::size_t begin = 0;
    for (std::size_t i = 0; i < part; ++i) {
        begin = token.find('.', begin) + 1;
    }
    const auto end = token.find('.', begin);
    return json::parse(b64url_decode(token.substr(begin, end - begin))).as_object();
}

JwtError error_of(const JwtCodec::Verified& v) {
    EXPECT_FALSE(v.ok());
    return v.error;
}

TEST(JwtTest, RoundTripKeepsEveryClaim) {
    const JwtCodec codec(kSecret);
    const Claims in = sample_claims();
    const std::string token = codec.sign(in);
    const auto v = codec.verify(token, TokenType::refresh, kIat + minutes(1));
    ASSERT_TRUE(v.ok()) << to_string(v.error);
    const Claims& out = *v.claims;
    EXPECT_EQ(out.jti, in.jti);
    EXPECT_EQ(out.user_id, in.user_id);
    EXPECT_EQ(out.email, in.email);
    EXPECT_EQ(out.role, in.role);
    EXPECT_EQ(out.type, TokenType::refresh);
    EXPECT_EQ(out.session_version, 7);
    EXPECT_EQ(out.family, in.family);
    EXPECT_EQ(out.issued_at, kIat);
    EXPECT_EQ(out.expires_at, kExp);

    EXPECT_EQ(json::serialize(decoded_part(token, 0)), R"({"alg":"HS256","typ":"JWT"})");
    const json::object payload = decoded_part(token, 1);
    EXPECT_EQ(payload.at("iss"), "power-manage");
    EXPECT_EQ(payload.at("sub"), json::value(in.user_id));
    EXPECT_EQ(payload.at("uid"), json::value(in.user_id));
    EXPECT_EQ(payload.at("iat"), 1'795'000'000);
    EXPECT_EQ(payload.at("exp"), 1'795'000'900);
    EXPECT_EQ(payload.at("sv"), 7);
    EXPECT_EQ(payload.at("fam"), json::value(in.family));
    EXPECT_EQ(payload.at("type"), "refresh");
}

TEST(JwtTest, ZeroSessionVersionAndEmptyFamilyAreLeftOut) {
    const JwtCodec codec(kSecret);
    Claims in = sample_claims();
    in.type = TokenType::access;
    in.session_version = 0;
    in.family.clear();
    // Sub-second parts are dropped: NumericDates are whole seconds.
    in.issued_at = kIat + milliseconds(999);
    const std::string token = codec.sign(in);
    const json::object payload = decoded_part(token, 1);
    EXPECT_FALSE(payload.contains("sv"));
    EXPECT_FALSE(payload.contains("fam"));
    const std::set<std::string> keys = [&] {
        std::set<std::string> k;
        for (const auto& e : payload) {
            k.emplace(e.key());
        }
        return k;
    }();
    EXPECT_EQ(keys, (std::set<std::string>{"jti", "iss", "sub", "iat", "exp", "uid", "email",
                                           "role", "type"}));
    const auto v = codec.verify(token, TokenType::access, kIat);
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v.claims->session_version, 0);
    EXPECT_TRUE(v.claims->family.empty());
    EXPECT_EQ(v.claims->issued_at, kIat);
}

TEST(JwtTest, IndependentlyMadeTokenIsAccepted) {
    const JwtCodec codec(kSecret);
    const std::string token = make_token(kHs256, payload_json());
    const auto v = codec.verify(token, TokenType::access, kIat);
    ASSERT_TRUE(v.ok()) << to_string(v.error);
    EXPECT_EQ(v.claims->user_id, "01JDQ4W3ZP5V7Y8C9D0E1F2G3A");
    EXPECT_EQ(v.claims->email, "alice@example.com");
    EXPECT_EQ(v.claims->role, "user");
    EXPECT_EQ(v.claims->session_version, 0);
    EXPECT_EQ(v.claims->expires_at, kExp);
    // And the library's signature is the one the independent code computes.
    const std::string ours = codec.sign(sample_claims());
    const auto last_dot = ours.rfind('.');
    EXPECT_EQ(ours.substr(last_dot + 1),
              b64url(mac(EVP_sha256(), kSecret, ours.substr(0, last_dot))));
}

TEST(JwtTest, ExpiredAtExp) {
    const JwtCodec codec(kSecret);
    const std::string token = codec.sign(sample_claims());
    EXPECT_TRUE(codec.verify(token, TokenType::refresh, kExp - seconds(1)).ok());
    EXPECT_EQ(error_of(codec.verify(token, TokenType::refresh, kExp)), JwtError::expired);
    EXPECT_EQ(error_of(codec.verify(token, TokenType::refresh, kExp + hours(1))),
              JwtError::expired);
}

TEST(JwtTest, WrongType) {
    const JwtCodec codec(kSecret);
    EXPECT_EQ(error_of(codec.verify(codec.sign(sample_claims()), TokenType::access, kIat)),
              JwtError::wrong_type);
    EXPECT_EQ(error_of(codec.verify(make_token(kHs256, payload_json("access")), TokenType::refresh,
                                    kIat)),
              JwtError::wrong_type);
    EXPECT_EQ(
        error_of(codec.verify(make_token(kHs256, payload_json("id")), TokenType::access, kIat)),
        JwtError::wrong_type);
}

TEST(JwtTest, WrongIssuer) {
    const JwtCodec codec(kSecret);
    EXPECT_EQ(error_of(codec.verify(
                  make_token(kHs256, payload_json("access", 1'795'000'900, "someone-else")),
                  TokenType::access, kIat)),
              JwtError::wrong_issuer);
    json::object p = json::parse(payload_json()).as_object();
    p.erase("iss");
    EXPECT_EQ(
        error_of(codec.verify(make_token(kHs256, json::serialize(p)), TokenType::access, kIat)),
        JwtError::wrong_issuer);
}

TEST(JwtTest, IssuerIsCheckedBeforeExpiryAndExpiryBeforeType) {
    const JwtCodec codec(kSecret);
    const std::string t1 = make_token(kHs256, payload_json("refresh", 1, "other"));
    EXPECT_EQ(error_of(codec.verify(t1, TokenType::access, kIat)), JwtError::wrong_issuer);
    const std::string t2 = make_token(kHs256, payload_json("refresh", 1));
    EXPECT_EQ(error_of(codec.verify(t2, TokenType::access, kIat)), JwtError::expired);
}

TEST(JwtTest, TamperedPayload) {
    const JwtCodec codec(kSecret);
    const std::string token = make_token(kHs256, payload_json());
    const auto dot1 = token.find('.');
    const auto dot2 = token.rfind('.');
    json::object p = json::parse(payload_json()).as_object();
    p["role"] = "admin";
    const std::string forged =
        token.substr(0, dot1 + 1) + b64url(json::serialize(p)) + token.substr(dot2);
    EXPECT_EQ(error_of(codec.verify(forged, TokenType::access, kIat)), JwtError::bad_signature);
}

TEST(JwtTest, TamperedSignature) {
    const JwtCodec codec(kSecret);
    std::string token = codec.sign(sample_claims());
    token[token.size() - 2] = token[token.size() - 2] == 'A' ? 'B' : 'A';
    EXPECT_EQ(error_of(codec.verify(token, TokenType::refresh, kIat)), JwtError::bad_signature);
    // A truncated or extended signature, and one from another secret.
    const std::string good = codec.sign(sample_claims());
    const std::string unsigned_part = good.substr(0, good.rfind('.') + 1);
    EXPECT_EQ(error_of(codec.verify(unsigned_part + b64url(std::string(31, 'x')),
                                    TokenType::refresh, kIat)),
              JwtError::bad_signature);
    EXPECT_EQ(error_of(codec.verify(unsigned_part, TokenType::refresh, kIat)),
              JwtError::bad_signature);
    EXPECT_EQ(error_of(codec.verify(good + "AAAA", TokenType::refresh, kIat)),
              JwtError::bad_signature);
    const JwtCodec other(std::string(32, 'z'));
    EXPECT_EQ(error_of(other.verify(good, TokenType::refresh, kIat)), JwtError::bad_signature);
}

TEST(JwtTest, AlgNoneIsRefused) {
    const JwtCodec codec(kSecret);
    const std::string token = make_token(R"({"alg":"none","typ":"JWT"})", payload_json(), nullptr);
    EXPECT_EQ(token.back(), '.');
    EXPECT_EQ(error_of(codec.verify(token, TokenType::access, kIat)), JwtError::bad_algorithm);
    EXPECT_EQ(error_of(codec.verify(make_token(R"({"alg":"None"})", payload_json(), nullptr),
                                    TokenType::access, kIat)),
              JwtError::bad_algorithm);
}

TEST(JwtTest, OtherHmacAlgorithmsAreRefusedEvenWhenCorrectlySigned) {
    const JwtCodec codec(kSecret);
    const std::string hs384 =
        make_token(R"({"alg":"HS384","typ":"JWT"})", payload_json(), EVP_sha384());
    const std::string hs512 =
        make_token(R"({"alg":"HS512","typ":"JWT"})", payload_json(), EVP_sha512());
    EXPECT_EQ(error_of(codec.verify(hs384, TokenType::access, kIat)), JwtError::bad_algorithm);
    EXPECT_EQ(error_of(codec.verify(hs512, TokenType::access, kIat)), JwtError::bad_algorithm);
}

TEST(JwtTest, AsymmetricAlgorithmsAndOddHeadersAreRefused) {
    const JwtCodec codec(kSecret);
    const auto check = [&](std::string_view header) {
        // Signed with HMAC-SHA256 and our secret: only the header is wrong.
        EXPECT_EQ(
            error_of(codec.verify(make_token(header, payload_json()), TokenType::access, kIat)),
            JwtError::bad_algorithm)
            << header;
    };
    check(R"({"alg":"RS256","typ":"JWT"})");
    check(R"({"alg":"ES256","typ":"JWT"})");
    check(R"({"alg":"hs256","typ":"JWT"})");
    check(R"({"alg":"HS256 ","typ":"JWT"})");
    check(R"({"alg":["HS256"],"typ":"JWT"})");
    check(R"({"typ":"JWT"})");
    check(R"({})");
    check(R"({"alg":"HS256","typ":"JWT","crit":["exp"],"exp":1})");
    check(R"({"alg":"HS256","crit":[]})");
}

TEST(JwtTest, MalformedStructure) {
    const JwtCodec codec(kSecret);
    const std::string good = codec.sign(sample_claims());
    const auto dot1 = good.find('.');
    const auto dot2 = good.rfind('.');
    const std::string cases[] = {
        "",
        "not a token",
        "a.b",
        good.substr(0, dot2),                                     // two parts
        good + ".x",                                              // four parts
        good + ".",                                               // four parts, empty last
        "!!!." + good.substr(dot1 + 1),                           // header not base64url
        good.substr(0, dot1) + ".a+b/." + good.substr(dot2 + 1),  // standard base64
        b64url("not json") + good.substr(dot1),                   // header not JSON
        b64url("[1,2]") + good.substr(dot1),                      // header not an object
        b64url("\"HS256\"") + good.substr(dot1),                  // header a string
        good.substr(0, dot1) + "=" + good.substr(dot1),           // padding
    };
    for (const auto& token : cases) {
        EXPECT_EQ(error_of(codec.verify(token, TokenType::refresh, kIat)), JwtError::malformed)
            << token;
    }
}

TEST(JwtTest, BadPayloadIsMalformedOnceSigned) {
    const JwtCodec codec(kSecret);
    const auto verify_payload = [&](std::string_view payload) {
        return error_of(codec.verify(make_token(kHs256, payload), TokenType::access, kIat));
    };
    EXPECT_EQ(verify_payload("not json"), JwtError::malformed);
    EXPECT_EQ(verify_payload("[]"), JwtError::malformed);
    for (const char* claim : {"uid", "jti", "exp"}) {
        json::object p = json::parse(payload_json()).as_object();
        p.erase(claim);
        EXPECT_EQ(verify_payload(json::serialize(p)), JwtError::malformed) << claim;
    }
    const std::pair<const char*, json::value> wrong_types[] = {
        {"uid", 5},
        {"jti", nullptr},
        {"exp", "soon"},
        {"exp", 1.795e9},
        {"iat", "then"},
        {"sv", "1"},
        {"sv", 1e12},
        {"sv", 4'294'967'296LL},
        {"email", false},
        {"role", json::array{}},
        {"fam", 3},
        {"type", 1},
        {"iss", 1},
        {"exp", -1},
        {"exp", 9'000'000'000'000'000'000ULL},
    };
    for (const auto& [claim, value] : wrong_types) {
        json::object p = json::parse(payload_json()).as_object();
        p[claim] = value;
        EXPECT_EQ(verify_payload(json::serialize(p)), JwtError::malformed)
            << claim << "=" << json::serialize(value);
    }
    // A bad payload under a bad signature is a signature failure: nothing unsigned is parsed.
    EXPECT_EQ(
        error_of(codec.verify(make_token(kHs256, "not json", EVP_sha256(), std::string(40, 'k')),
                              TokenType::access, kIat)),
        JwtError::bad_signature);
}

TEST(JwtTest, ShortSecretThrows) {
    EXPECT_THROW(JwtCodec(std::string(31, 'x')), std::invalid_argument);
    EXPECT_THROW(JwtCodec(""), std::invalid_argument);
    EXPECT_NO_THROW(JwtCodec(std::string(32, 'x')));
}

TEST(JwtTest, ErrorNames) {
    EXPECT_EQ(to_string(JwtError::malformed), "malformed");
    EXPECT_EQ(to_string(JwtError::bad_algorithm), "bad_algorithm");
    EXPECT_EQ(to_string(JwtError::bad_signature), "bad_signature");
    EXPECT_EQ(to_string(JwtError::expired), "expired");
    EXPECT_EQ(to_string(JwtError::wrong_type), "wrong_type");
    EXPECT_EQ(to_string(JwtError::wrong_issuer), "wrong_issuer");
}

TEST(JwtTest, RandomHex) {
    const std::string a = random_hex(32);
    EXPECT_EQ(a.size(), 64U);
    EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_NE(a, random_hex(32));
    EXPECT_EQ(random_hex(0), "");
}

}  // namespace
}  // namespace pm::auth
