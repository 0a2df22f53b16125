#pragma once
// "Did you mean ...?" for misspelt field names, layer types and flags.
#include <string>
#include <vector>

namespace cortado::authoring {

// Up to `max` candidates closest to `word` by edit distance (case-insensitive),
// nearest first; only those close enough to be a plausible typo.
std::vector<std::string> closest_names(const std::string& word,
                                       const std::vector<std::string>& candidates, size_t max = 3);

// "; did you mean 'a' or 'b'?" or "" when nothing is close.
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace cortado::authoring
