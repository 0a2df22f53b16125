#include "authoring/spec_lexer.hpp"

#include <cctype>

#include "util/error.hpp"

namespace cortado::authoring {
namespace {

class Lexer {
 public:
  Lexer(const std::string& text, const std::string& file) : s_(text), file_(file) {}

  std::vector<Token> run() {
    while (i_ < s_.size()) step();
    if (depth_ > 0) fail(open_line_, open_col_, "this bracket is never closed");
    push_newline();
    out_.push_back(Token{Token::Kind::end, "", line_, col()});
    return out_;
  }

 private:
  int col() const { return static_cast<int>(i_ - line_start_) + 1; }
  [[noreturn]] void fail(int line, int col, const std::string& what) const {
    throw Error(file_ + ":" + std::to_string(line) + ":" + std::to_string(col), what);
  }
  void newline_seen() {
    ++line_;
    line_start_ = i_;
  }
  void push_newline() {
    if (!out_.empty() && out_.back().kind != Token::Kind::newline)
      out_.push_back(Token{Token::Kind::newline, "", line_, col()});
  }

  void step() {
    const char c = s_[i_];
    if (c == '\n') {
      ++i_;
      if (depth_ == 0) push_newline();
      newline_seen();
    } else if (c == '#') {
      while (i_ < s_.size() && s_[i_] != '\n') ++i_;
    } else if (c == '\\' && i_ + 1 < s_.size() && (s_[i_ + 1] == '\n' || s_[i_ + 1] == '\r')) {
      i_ += s_[i_ + 1] == '\r' && i_ + 2 < s_.size() && s_[i_ + 2] == '\n' ? 3 : 2;
      newline_seen();
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      ++i_;
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      word();
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               (c == '.' && i_ + 1 < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_ + 1])))) {
      number();
    } else if (c == '"' || c == '\'') {
      string(c);
    } else {
      op();
    }
  }

  void word() {
    const int c0 = col();
    size_t b = i_;
    while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_')) ++i_;
    out_.push_back(Token{Token::Kind::name, s_.substr(b, i_ - b), line_, c0});
  }

  void digits() {
    while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
  }

  void number() {
    const int c0 = col();
    size_t b = i_;
    digits();
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      digits();
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      size_t save = i_++;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_])))
        digits();
      else
        i_ = save;
    }
    if (i_ < s_.size() && (std::isalpha(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_'))
      fail(line_, col(), "unexpected '" + std::string(1, s_[i_]) + "' after the number " +
                             s_.substr(b, i_ - b));
    out_.push_back(Token{Token::Kind::number, s_.substr(b, i_ - b), line_, c0});
  }

  void string(char quote) {
    const int c0 = col(), l0 = line_;
    ++i_;
    std::string v;
    while (true) {
      if (i_ >= s_.size() || s_[i_] == '\n') fail(l0, c0, "this string is never closed");
      char c = s_[i_++];
      if (c == quote) break;
      if (c != '\\') {
        v += c;
        continue;
      }
      if (i_ >= s_.size()) fail(l0, c0, "this string is never closed");
      char e = s_[i_++];
      switch (e) {
        case 'n': v += '\n'; break;
        case 't': v += '\t'; break;
        case '\\': case '\'': case '"': v += e; break;
        default: v += '\\', v += e;
      }
    }
    out_.push_back(Token{Token::Kind::string, v, l0, c0});
  }

  void op() {
    static const char* two[] = {"**", "//", "==", "!=", "<=", ">="};
    const int c0 = col();
    for (const char* t : two) {
      if (s_.compare(i_, 2, t) == 0) {
        out_.push_back(Token{Token::Kind::op, t, line_, c0});
        i_ += 2;
        return;
      }
    }
    const char c = s_[i_];
    if (std::string("()[]{},=.+-*/:;%").find(c) == std::string::npos)
      fail(line_, c0, std::string("unexpected character '") + c + "'");
    if (c == '(' || c == '[' || c == '{') {
      if (depth_++ == 0) open_line_ = line_, open_col_ = c0;
    } else if (c == ')' || c == ']' || c == '}') {
      if (depth_ == 0) fail(line_, c0, std::string("'") + c + "' closes no bracket");
      --depth_;
    }
    if (c == ';' && depth_ == 0) {
      push_newline();
      ++i_;
      return;
    }
    out_.push_back(Token{Token::Kind::op, std::string(1, c), line_, c0});
    ++i_;
  }

  const std::string& s_;
  const std::string& file_;
  size_t i_ = 0, line_start_ = 0;
  int line_ = 1, depth_ = 0, open_line_ = 0, open_col_ = 0;
  std::vector<Token> out_;
};

}  // namespace

std::vector<Token> tokenize(const std::string& text, const std::string& file) {
  return Lexer(text, file).run();
}

std::string describe(const Token& t) {
  switch (t.kind) {
    case Token::Kind::name: return "the name '" + t.text + "'";
    case Token::Kind::number: return "the number " + t.text;
    case Token::Kind::string: return "a string";
    case Token::Kind::op: return "'" + t.text + "'";
    case Token::Kind::newline: return "the end of the line";
    case Token::Kind::end: return "the end of the file";
  }
  return "a token";
}

}  // namespace cortado::authoring
