// Request-path rules that Consul's HTTP layer applies before any endpoint sees a request:
// the printable-path filter and Go's ServeMux path cleaning.
#pragma once

#include <string>
#include <string_view>

namespace shardgate::consul::dev {

// False when the (percent-decoded) path holds a rune that Go's unicode.IsPrint rejects:
// go-cleanhttp's PrintablePathCheckHandler, which wraps Consul's whole mux, then answers 400
// with an empty body. Bytes that are not UTF-8 decode to U+FFFD in Go, which is printable, so
// they pass. Covered: C0/C1 controls, DEL, separators other than U+0020, format characters,
// private use; unassigned code points (also refused by Go) are not recognised here.
bool PathIsPrintable(std::string_view path);

// Go's ServeMux cleanPath: repeated slashes and "." / ".." segments removed, a trailing slash
// kept. A path that differs from its cleaned form is redirected (301) before any handler.
std::string CleanPath(std::string_view path);

// Go's url.URL.EscapedPath for a path without a raw form: everything but letters, digits,
// "-_.~" and "$&+,/:;=@" percent-encoded (upper-case hex). Used for the redirect's Location.
std::string EscapePath(std::string_view path);

}  // namespace shardgate::consul::dev
