#include "authoring/assign_kwargs.hpp"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <cstdint>

#include "authoring/closest.hpp"
#include "authoring/layer_types.hpp"
#include "caffe.pb.h"
#include "util/error.hpp"

namespace pb = google::protobuf;

namespace cortado::authoring {
namespace {

// Where an error about one keyword points: the value, else the keyword, else the layer.
struct Ctx {
  std::string fallback;
  std::string where(const Value& v) const { return v.pos().str(fallback); }
};

std::vector<std::string> field_names(const pb::Descriptor* d) {
  std::vector<std::string> names;
  for (int i = 0; i < d->field_count(); ++i) names.push_back(d->field(i)->name());
  return names;
}

long long checked_int(const pb::FieldDescriptor* f, const Value& v, const Ctx& ctx) {
  if (v.kind() != Value::Kind::integer && v.kind() != Value::Kind::boolean)
    throw Error(ctx.where(v), "'" + f->name() + "' takes an integer, got " + v.describe());
  const long long x = v.as_int();
  long long lo = INT64_MIN, hi = INT64_MAX;
  switch (f->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_INT32: lo = INT32_MIN, hi = INT32_MAX; break;
    case pb::FieldDescriptor::CPPTYPE_UINT32: lo = 0, hi = UINT32_MAX; break;
    case pb::FieldDescriptor::CPPTYPE_UINT64: lo = 0; break;
    default: break;
  }
  if (x < lo || x > hi)
    throw Error(ctx.where(v), "'" + f->name() + "' = " + std::to_string(x) + " is out of range " +
                                  std::to_string(lo) + ".." + std::to_string(hi));
  return x;
}

const pb::EnumValueDescriptor* enum_value(const pb::FieldDescriptor* f, const Value& v,
                                          const Ctx& ctx) {
  const pb::EnumDescriptor* e = f->enum_type();
  std::vector<std::string> names;
  for (int i = 0; i < e->value_count(); ++i) names.push_back(e->value(i)->name());
  std::string all;
  for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
  if (v.kind() == Value::Kind::integer) {
    if (const auto* ev = e->FindValueByNumber(static_cast<int>(v.as_int()))) return ev;
    throw Error(ctx.where(v), std::to_string(v.as_int()) + " is not a value of " + e->full_name() +
                                  " (" + all + ")");
  }
  if (v.kind() == Value::Kind::enum_name || v.kind() == Value::Kind::string) {
    if (const auto* ev = e->FindValueByName(v.text())) return ev;
    throw Error(ctx.where(v), "'" + v.text() + "' is not a value of " + e->full_name() + " (" +
                                  all + ")" + did_you_mean(v.text(), names));
  }
  throw Error(ctx.where(v), "'" + f->name() + "' takes one of " + all + ", got " + v.describe());
}

void assign(pb::Message& msg, const pb::FieldDescriptor* f, const Value& v, const Ctx& ctx);

void fill_message(pb::Message& msg, const Value& v, const std::string& field, const Ctx& ctx) {
  if (v.kind() != Value::Kind::dict)
    throw Error(ctx.where(v), "'" + field + "' is a " + msg.GetDescriptor()->name() +
                                  ": write dict(...), got " + v.describe());
  for (const auto& [key, item] : v.fields()) {
    const pb::FieldDescriptor* sub = msg.GetDescriptor()->FindFieldByName(key);
    if (!sub)
      throw Error(item.key_pos().str(ctx.fallback), "'" + key + "' is not a field of " + msg.GetDescriptor()->name() +
                                       " (in '" + field + "')" +
                                       did_you_mean(key, field_names(msg.GetDescriptor())));
    assign(msg, sub, item, ctx);
  }
}

// Sets (or, for a repeated field, appends) one non-list value.
void store(pb::Message& msg, const pb::FieldDescriptor* f, const Value& v, const Ctx& ctx) {
  const pb::Reflection* r = msg.GetReflection();
  const bool add = f->is_repeated();
  using FD = pb::FieldDescriptor;
  switch (f->cpp_type()) {
    case FD::CPPTYPE_MESSAGE: {
      pb::Message* sub = add ? r->AddMessage(&msg, f) : r->MutableMessage(&msg, f);
      fill_message(*sub, v, f->name(), ctx);
      return;
    }
    case FD::CPPTYPE_INT32: {
      auto x = static_cast<int32_t>(checked_int(f, v, ctx));
      add ? r->AddInt32(&msg, f, x) : r->SetInt32(&msg, f, x);
      return;
    }
    case FD::CPPTYPE_INT64: {
      auto x = static_cast<int64_t>(checked_int(f, v, ctx));
      add ? r->AddInt64(&msg, f, x) : r->SetInt64(&msg, f, x);
      return;
    }
    case FD::CPPTYPE_UINT32: {
      auto x = static_cast<uint32_t>(checked_int(f, v, ctx));
      add ? r->AddUInt32(&msg, f, x) : r->SetUInt32(&msg, f, x);
      return;
    }
    case FD::CPPTYPE_UINT64: {
      auto x = static_cast<uint64_t>(checked_int(f, v, ctx));
      add ? r->AddUInt64(&msg, f, x) : r->SetUInt64(&msg, f, x);
      return;
    }
    case FD::CPPTYPE_FLOAT:
    case FD::CPPTYPE_DOUBLE: {
      if (!v.is_number() && v.kind() != Value::Kind::boolean)
        throw Error(ctx.where(v), "'" + f->name() + "' takes a number, got " + v.describe());
      // A float field keeps the float32 nearest the double, as NetSpec does.
      if (f->cpp_type() == FD::CPPTYPE_FLOAT) {
        auto x = static_cast<float>(v.as_real());
        add ? r->AddFloat(&msg, f, x) : r->SetFloat(&msg, f, x);
      } else {
        add ? r->AddDouble(&msg, f, v.as_real()) : r->SetDouble(&msg, f, v.as_real());
      }
      return;
    }
    case FD::CPPTYPE_BOOL: {
      bool ok = v.kind() == Value::Kind::boolean ||
                (v.kind() == Value::Kind::integer && (v.as_int() == 0 || v.as_int() == 1));
      if (!ok) throw Error(ctx.where(v), "'" + f->name() + "' takes True or False, got " + v.describe());
      add ? r->AddBool(&msg, f, v.as_int() != 0) : r->SetBool(&msg, f, v.as_int() != 0);
      return;
    }
    case FD::CPPTYPE_STRING: {
      if (v.kind() != Value::Kind::string) {
        std::string hint = v.kind() == Value::Kind::enum_name
                               ? " (quote it, or define " + v.text() + " before this line)"
                               : "";
        throw Error(ctx.where(v), "'" + f->name() + "' takes a string, got " + v.describe() + hint);
      }
      add ? r->AddString(&msg, f, v.text()) : r->SetString(&msg, f, v.text());
      return;
    }
    case FD::CPPTYPE_ENUM: {
      const auto* ev = enum_value(f, v, ctx);
      add ? r->AddEnum(&msg, f, ev) : r->SetEnum(&msg, f, ev);
      return;
    }
  }
}

void assign(pb::Message& msg, const pb::FieldDescriptor* f, const Value& v, const Ctx& ctx) {
  if (v.kind() == Value::Kind::list) {
    if (!f->is_repeated())
      throw Error(ctx.where(v), "'" + f->name() + "' takes one value, not a list");
    for (const auto& item : v.items()) {
      if (item.kind() == Value::Kind::list)
        throw Error(ctx.where(item), "'" + f->name() + "' takes a flat list, not a list of lists");
      store(msg, f, item, ctx);
    }
    return;
  }
  store(msg, f, v, ctx);  // NetSpec: a single value given to a repeated field appends it
}

// The message and field a keyword of this layer type lands in.
std::pair<pb::Message*, const pb::FieldDescriptor*> resolve(caffe::LayerParameter& layer,
                                                            const LayerTypeInfo& type,
                                                            const Kwarg& kw, const Ctx& ctx) {
  const pb::Descriptor* ld = layer.GetDescriptor();
  const pb::Reflection* r = layer.GetReflection();
  if (const auto* f = ld->FindFieldByName(kw.name)) return {&layer, f};

  std::vector<const char*> params;
  if (*type.param) params.push_back(type.param);
  params.insert(params.end(), type.shared.begin(), type.shared.end());

  std::vector<std::pair<const pb::FieldDescriptor*, const pb::FieldDescriptor*>> found;
  std::vector<std::string> candidates = field_names(ld);
  std::string searched = "LayerParameter";
  for (size_t i = 0; i < params.size(); ++i) {
    const pb::FieldDescriptor* pf = ld->FindFieldByName(params[i]);
    CORTADO_ASSERT(pf && pf->message_type());
    if (const auto* f = pf->message_type()->FindFieldByName(kw.name)) found.emplace_back(pf, f);
    auto more = field_names(pf->message_type());
    candidates.insert(candidates.end(), more.begin(), more.end());
    searched += (i + 1 == params.size() ? " or " : ", ") + pf->message_type()->name();
  }
  const std::string where = kw.pos.str(ctx.fallback);
  const std::string what = "keyword '" + kw.name + "' of a " + std::string(type.type) + " layer";
  if (found.size() == 1) return {r->MutableMessage(&layer, found[0].first), found[0].second};
  // NetSpec would silently pick the type's own message (for Data, the deprecated
  // data_param.scale rather than transform_param.scale); asking is safer.
  if (found.size() > 1)
    throw Error(where, what + " is ambiguous: both " + found[0].first->name() + " and " +
                           found[1].first->name() + " have it; write " + found[1].first->name() +
                           "=dict(" + kw.name + "=...) or " + found[0].first->name() + "=dict(" +
                           kw.name + "=...)");
  throw Error(where, "unknown " + what + " (not a field of " + searched + ")" +
                         did_you_mean(kw.name, candidates));
}

}  // namespace

void assign_kwargs(caffe::LayerParameter& layer, const LayerTypeInfo& type, const Kwargs& kwargs,
                   const std::string& context) {
  for (const auto& kw : kwargs) {
    Ctx ctx{kw.pos.str(context)};
    auto [msg, field] = resolve(layer, type, kw, ctx);
    assign(*msg, field, kw.value, ctx);
  }
}

}  // namespace cortado::authoring
