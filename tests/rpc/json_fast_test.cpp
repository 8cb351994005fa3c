// The JSON fast path (rpc/json_fast.hpp) against protobuf's converter, which it stands in for:
// for every message and input here, decode_message/encode_message must answer exactly what the
// converter alone answers (same JSON bytes, same parsed message, same error text), whether the
// fast path took the input or declined it.

#include "rpc/json_fast.hpp"

#include <random>
#include <string>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/text_format.h>
#include <google/protobuf/timestamp.pb.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include "rpc/codec.hpp"

namespace pm::rpc::detail {
namespace {

namespace gp = google::protobuf;

// Every kind of field: those the fast path handles and those it must leave to the converter.
constexpr std::string_view kFile = R"pb(
    name: "json_fast_test.proto"
    package: "pm.test.jsonfast"
    syntax: "proto3"
    dependency: "google/protobuf/timestamp.proto"
    enum_type {
      name: "Color"
      value { name: "COLOR_UNSPECIFIED" number: 0 }
      value { name: "COLOR_RED" number: 1 }
      value { name: "COLOR_GREEN" number: 2 }
    }
    message_type {
      name: "Inner"
      field { name: "label" number: 1 label: LABEL_OPTIONAL type: TYPE_STRING json_name: "label" }
      field { name: "weight" number: 2 label: LABEL_OPTIONAL type: TYPE_INT64 json_name: "weight" }
    }
    message_type {
      name: "Outer"
      field { name: "i32" number: 1 label: LABEL_OPTIONAL type: TYPE_INT32 json_name: "i32" }
      field { name: "u32" number: 2 label: LABEL_OPTIONAL type: TYPE_UINT32 json_name: "u32" }
      field { name: "i64" number: 3 label: LABEL_OPTIONAL type: TYPE_INT64 json_name: "i64" }
      field { name: "u64" number: 4 label: LABEL_OPTIONAL type: TYPE_UINT64 json_name: "u64" }
      field { name: "s32" number: 5 label: LABEL_OPTIONAL type: TYPE_SINT32 json_name: "s32" }
      field { name: "f64" number: 6 label: LABEL_OPTIONAL type: TYPE_FIXED64 json_name: "f64" }
      field { name: "flag" number: 7 label: LABEL_OPTIONAL type: TYPE_BOOL json_name: "flag" }
      field {
        name: "snake_name"
        number: 8
        label: LABEL_OPTIONAL
        type: TYPE_STRING
        json_name: "snakeName"
      }
      field {
        name: "color"
        number: 9
        label: LABEL_OPTIONAL
        type: TYPE_ENUM
        type_name: ".pm.test.jsonfast.Color"
        json_name: "color"
      }
      field {
        name: "inner"
        number: 10
        label: LABEL_OPTIONAL
        type: TYPE_MESSAGE
        type_name: ".pm.test.jsonfast.Inner"
        json_name: "inner"
      }
      field { name: "tags" number: 11 label: LABEL_REPEATED type: TYPE_STRING json_name: "tags" }
      field {
        name: "numbers"
        number: 12
        label: LABEL_REPEATED
        type: TYPE_INT32
        json_name: "numbers"
      }
      field {
        name: "inners"
        number: 13
        label: LABEL_REPEATED
        type: TYPE_MESSAGE
        type_name: ".pm.test.jsonfast.Inner"
        json_name: "inners"
      }
      field {
        name: "colors"
        number: 14
        label: LABEL_REPEATED
        type: TYPE_ENUM
        type_name: ".pm.test.jsonfast.Color"
        json_name: "colors"
      }
      field {
        name: "opt"
        number: 15
        label: LABEL_OPTIONAL
        type: TYPE_INT32
        json_name: "opt"
        oneof_index: 1
        proto3_optional: true
      }
      field {
        name: "pick_a"
        number: 16
        label: LABEL_OPTIONAL
        type: TYPE_STRING
        json_name: "pickA"
        oneof_index: 0
      }
      field {
        name: "pick_b"
        number: 17
        label: LABEL_OPTIONAL
        type: TYPE_INT32
        json_name: "pickB"
        oneof_index: 0
      }
      field { name: "blob" number: 18 label: LABEL_OPTIONAL type: TYPE_BYTES json_name: "blob" }
      field { name: "ratio" number: 19 label: LABEL_OPTIONAL type: TYPE_DOUBLE json_name: "ratio" }
      field {
        name: "at"
        number: 20
        label: LABEL_OPTIONAL
        type: TYPE_MESSAGE
        type_name: ".google.protobuf.Timestamp"
        json_name: "at"
      }
      field {
        name: "attrs"
        number: 21
        label: LABEL_REPEATED
        type: TYPE_MESSAGE
        type_name: ".pm.test.jsonfast.Outer.AttrsEntry"
        json_name: "attrs"
      }
      nested_type {
        name: "AttrsEntry"
        field { name: "key" number: 1 label: LABEL_OPTIONAL type: TYPE_STRING json_name: "key" }
        field { name: "value" number: 2 label: LABEL_OPTIONAL type: TYPE_STRING json_name: "value" }
        options { map_entry: true }
      }
      oneof_decl { name: "pick" }
      oneof_decl { name: "_opt" }
    }
)pb";

class JsonFastTest : public ::testing::Test {
protected:
    void SetUp() override {
        gp::FileDescriptorProto timestamp;
        gp::Timestamp::descriptor()->file()->CopyTo(&timestamp);
        ASSERT_NE(pool_.BuildFile(timestamp), nullptr);
        gp::FileDescriptorProto file;
        ASSERT_TRUE(gp::TextFormat::ParseFromString(std::string(kFile), &file));
        ASSERT_NE(pool_.BuildFile(file), nullptr);
        outer_ = pool_.FindMessageTypeByName("pm.test.jsonfast.Outer");
        ASSERT_NE(outer_, nullptr);
    }

    std::unique_ptr<gp::Message> make() const {
        return std::unique_ptr<gp::Message>(factory_.GetPrototype(outer_)->New());
    }

    // What the converter alone prints.
    static std::string reference_json(const gp::Message& message) {
        std::string out;
        EXPECT_TRUE(gp::util::MessageToJsonString(message, &out).ok());
        return out;
    }

    // decode_message and the converter on the same input: same status, same message.
    void expect_same_decoding(std::string_view json, bool ignore_unknown) {
        SCOPED_TRACE(std::string(json));
        auto ours = make();
        const auto status = decode_message(Codec::json, json, *ours, ignore_unknown);
        auto theirs = make();
        gp::util::JsonParseOptions options;
        options.ignore_unknown_fields = ignore_unknown;
        const auto expected = gp::util::JsonStringToMessage(
            gp::StringPiece(json.data(), json.size()), theirs.get(), options);
        ASSERT_EQ(status.ok(), expected.ok()) << status.message;
        if (!expected.ok()) {
            EXPECT_EQ(status.message,
                      "unmarshal into pm.test.jsonfast.Outer: " + std::string(expected.message()));
            return;
        }
        EXPECT_EQ(ours->SerializeAsString(), theirs->SerializeAsString());
        EXPECT_EQ(ours->DebugString(), theirs->DebugString());
    }

    std::string random_text(std::mt19937& rng) {
        // Mostly plain ASCII; sometimes what needs escapes or is not ASCII.
        static constexpr std::string_view kSpecial[] = {
            "<", ">", "&", "\"", "\\", "\n", "\x01", "\x7f", "\xc3\xa9", "=", "'", "/"};
        std::string text;
        const auto length = rng() % 12;
        for (std::size_t i = 0; i < length; ++i) {
            if (rng() % 10 == 0) {
                text += kSpecial[rng() % std::size(kSpecial)];
            } else {
                text += static_cast<char>(0x20 + rng() % 95);
            }
        }
        return text;
    }

    void fill_inner(gp::Message& inner, std::mt19937& rng) {
        const auto& d = *inner.GetDescriptor();
        const auto& r = *inner.GetReflection();
        if (rng() % 2 == 0) {
            r.SetString(&inner, d.FindFieldByName("label"), random_text(rng));
        }
        if (rng() % 2 == 0) {
            r.SetInt64(&inner, d.FindFieldByName("weight"), static_cast<std::int64_t>(rng()) - 9);
        }
    }

    // A message with a random subset of the fields set; `simple` keeps to the fast path's subset.
    std::unique_ptr<gp::Message> random_message(std::mt19937& rng, bool simple) {
        auto message = make();
        const auto& d = *outer_;
        const auto& r = *message->GetReflection();
        const auto maybe = [&] { return rng() % 3 == 0; };
        const auto big = [&] { return (static_cast<std::uint64_t>(rng()) << 32) | rng(); };
        if (maybe())
            r.SetInt32(message.get(), d.FindFieldByName("i32"), static_cast<std::int32_t>(rng()));
        if (maybe())
            r.SetUInt32(message.get(), d.FindFieldByName("u32"), static_cast<std::uint32_t>(rng()));
        if (maybe())
            r.SetInt64(message.get(), d.FindFieldByName("i64"), static_cast<std::int64_t>(big()));
        if (maybe())
            r.SetUInt64(message.get(), d.FindFieldByName("u64"), big());
        if (maybe())
            r.SetInt32(message.get(), d.FindFieldByName("s32"),
                       -static_cast<std::int32_t>(rng() % 1000));
        if (maybe())
            r.SetUInt64(message.get(), d.FindFieldByName("f64"), big());
        if (maybe())
            r.SetBool(message.get(), d.FindFieldByName("flag"), rng() % 2 == 0);
        if (maybe())
            r.SetString(message.get(), d.FindFieldByName("snake_name"), random_text(rng));
        if (maybe())
            r.SetEnumValue(message.get(), d.FindFieldByName("color"),
                           static_cast<int>(rng() % (simple ? 3 : 5)));
        if (maybe())
            fill_inner(*r.MutableMessage(message.get(), d.FindFieldByName("inner")), rng);
        if (maybe())
            for (auto i = rng() % 3; i > 0; --i)
                r.AddString(message.get(), d.FindFieldByName("tags"), random_text(rng));
        if (maybe())
            for (auto i = rng() % 3; i > 0; --i)
                r.AddInt32(message.get(), d.FindFieldByName("numbers"),
                           static_cast<std::int32_t>(rng()));
        if (maybe())
            for (auto i = rng() % 3; i > 0; --i)
                fill_inner(*r.AddMessage(message.get(), d.FindFieldByName("inners")), rng);
        if (maybe())
            for (auto i = rng() % 3; i > 0; --i)
                r.AddEnumValue(message.get(), d.FindFieldByName("colors"),
                               static_cast<int>(rng() % 3));
        if (maybe())
            r.SetInt32(message.get(), d.FindFieldByName("opt"),
                       static_cast<std::int32_t>(rng() % 2));
        if (maybe())
            r.SetString(message.get(), d.FindFieldByName("pick_a"), random_text(rng));
        if (maybe())
            r.SetInt32(message.get(), d.FindFieldByName("pick_b"),
                       static_cast<std::int32_t>(rng() % 5));
        if (!simple) {
            if (maybe())
                r.SetString(message.get(), d.FindFieldByName("blob"), random_text(rng));
            if (maybe())
                r.SetDouble(message.get(), d.FindFieldByName("ratio"),
                            static_cast<double>(rng()) / 7.0);
            if (maybe())
                r.MutableMessage(message.get(), d.FindFieldByName("at"));
            if (maybe()) {
                auto* entry = r.AddMessage(message.get(), d.FindFieldByName("attrs"));
                entry->GetReflection()->SetString(entry, entry->GetDescriptor()->field(0), "k");
            }
        }
        return message;
    }

    gp::DescriptorPool pool_;
    mutable gp::DynamicMessageFactory factory_{&pool_};
    const gp::Descriptor* outer_ = nullptr;
};

TEST_F(JsonFastTest, EncodesLikeTheConverter) {
    std::mt19937 rng(14);
    int fast = 0;
    for (int i = 0; i < 3000; ++i) {
        const auto message = random_message(rng, i % 2 == 0);
        std::string ours;
        ASSERT_TRUE(encode_message(Codec::json, *message, ours).ok());
        ASSERT_EQ(ours, reference_json(*message)) << message->DebugString();
        std::string direct;
        if (fast_json_encode(*message, direct)) {
            ++fast;
            EXPECT_EQ(direct, ours);
        }
    }
    // The comparison above means something only if both paths ran often.
    EXPECT_GT(fast, 500);
    EXPECT_LT(fast, 2900);
}

TEST_F(JsonFastTest, DecodesWhatTheConverterPrints) {
    std::mt19937 rng(41);
    int fast = 0;
    for (int i = 0; i < 3000; ++i) {
        const auto message = random_message(rng, i % 2 == 0);
        const auto json = reference_json(*message);
        expect_same_decoding(json, false);
        auto direct = make();
        if (fast_json_decode(json, *direct)) {
            ++fast;
            EXPECT_EQ(direct->SerializeAsString(), message->SerializeAsString()) << json;
        }
    }
    EXPECT_GT(fast, 500);
    EXPECT_LT(fast, 2900);
}

TEST_F(JsonFastTest, DecodesOddInputsLikeTheConverter) {
    const std::vector<std::string> inputs = {
        R"({})",
        R"(  { "i32" : -5 , "snakeName":"x" }  )",
        R"({"snake_name":"by proto name"})",
        R"({"i32":1,"i32":2})",
        R"({"i32":"7"})",
        R"({"i32":1.0})",
        R"({"i32":1e2})",
        R"({"i32":01})",
        R"({"i32":-0})",
        R"({"i32":2147483647})",
        R"({"i32":2147483648})",
        R"({"u32":-1})",
        R"({"i64":"-9223372036854775808"})",
        R"({"i64":9223372036854775807})",
        R"({"i64":"9223372036854775808"})",
        R"({"u64":"18446744073709551615"})",
        R"({"i64":" 12"})",
        R"({"flag":true,"color":"COLOR_GREEN"})",
        R"({"flag":"true"})",
        R"({"flag":null})",
        R"({"color":1})",
        R"({"color":"COLOR_BLUE"})",
        R"({"color":"color_red"})",
        R"({"inner":{"label":"a","weight":"3"}})",
        R"({"inner":{}})",
        R"({"inner":null})",
        R"({"tags":["a","b"],"numbers":[1,2,3]})",
        R"({"tags":[]})",
        R"({"tags":["a",]})",
        R"({"tags":"a"})",
        R"({"inners":[{"label":"x"},{}]})",
        R"({"colors":["COLOR_RED","COLOR_GREEN"]})",
        R"({"opt":0})",
        R"({"pickA":"a"})",
        R"({"pickA":"a","pickB":1})",
        R"({"snakeName":"a\"b"})",
        R"({"snakeName":"a\u0041"})",
        "{\"snakeName\":\"caf\xc3\xa9\"}",
        "{\"snakeName\":\"bad \xc3\"}",
        R"({"blob":"aGk="})",
        R"({"ratio":0.5})",
        R"({"at":"2026-12-07T00:00:00Z"})",
        R"({"attrs":{"k":"v"}})",
        R"({"unknown":1})",
        R"({"unknown":{"deep":[1,2]},"i32":3})",
        R"({i32:1})",
        R"({"i32":1} trailing)",
        R"({"i32":1}})",
        R"({"i32":})",
        R"({"i32" 1})",
        R"({"i32":1,})",
        R"([])",
        R"("x")",
        R"({)",
        R"(null)",
    };
    for (const auto& input : inputs) {
        expect_same_decoding(input, false);
        expect_same_decoding(input, true);
    }
}

}  // namespace
}  // namespace pm::rpc::detail
