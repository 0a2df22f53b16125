#pragma once
// Tokens of a netgen spec file: the small part of Python that NetSpec scripts
// use (names, numbers, strings, brackets, operators). As in Python a newline
// ends a statement except inside brackets or after a backslash; `#` starts a
// comment; indentation is ignored so that a pasted function body reads too.
#include <string>
#include <vector>

namespace cortado::authoring {

struct Token {
  enum class Kind { name, number, string, op, newline, end };
  Kind kind;
  std::string text;  // a string token holds its decoded value
  int line = 0, col = 0;
};

// Errors name `file:line:col`.
std::vector<Token> tokenize(const std::string& text, const std::string& file);

// "'('", "a name", "the end of the line", ... for "expected X, got Y" messages.
std::string describe(const Token& t);

}  // namespace cortado::authoring
