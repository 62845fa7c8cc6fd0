// Python 2 -> 3 renames applied by find_class when fix_imports is on and the pickle's protocol is
// below 3: the facts of CPython's _compat_pickle tables, as data.

#include "core/pickle/pickle_machine.h"

#include <algorithm>
#include <array>
#include <initializer_list>
#include <span>
#include <utility>

namespace core {

namespace {

using Pair = std::pair<std::string_view, std::string_view>;

constexpr std::array<Pair, 55> kImportMapping { {
    { "__builtin__", "builtins" }, { "copy_reg", "copyreg" }, { "Queue", "queue" },
    { "SocketServer", "socketserver" }, { "ConfigParser", "configparser" }, { "repr", "reprlib" },
    { "tkFileDialog", "tkinter.filedialog" }, { "tkSimpleDialog", "tkinter.simpledialog" },
    { "tkColorChooser", "tkinter.colorchooser" }, { "tkCommonDialog", "tkinter.commondialog" },
    { "Dialog", "tkinter.dialog" }, { "Tkdnd", "tkinter.dnd" }, { "tkFont", "tkinter.font" },
    { "tkMessageBox", "tkinter.messagebox" }, { "ScrolledText", "tkinter.scrolledtext" },
    { "Tkconstants", "tkinter.constants" }, { "Tix", "tkinter.tix" }, { "ttk", "tkinter.ttk" },
    { "Tkinter", "tkinter" }, { "markupbase", "_markupbase" }, { "_winreg", "winreg" },
    { "thread", "_thread" }, { "dummy_thread", "_dummy_thread" }, { "dbhash", "dbm.bsd" },
    { "dumbdbm", "dbm.dumb" }, { "dbm", "dbm.ndbm" }, { "gdbm", "dbm.gnu" },
    { "xmlrpclib", "xmlrpc.client" }, { "SimpleXMLRPCServer", "xmlrpc.server" },
    { "httplib", "http.client" }, { "htmlentitydefs", "html.entities" },
    { "HTMLParser", "html.parser" }, { "Cookie", "http.cookies" }, { "cookielib", "http.cookiejar" },
    { "BaseHTTPServer", "http.server" }, { "test.test_support", "test.support" },
    { "commands", "subprocess" }, { "urlparse", "urllib.parse" }, { "robotparser", "urllib.robotparser" },
    { "urllib2", "urllib.request" }, { "anydbm", "dbm" }, { "_abcoll", "collections.abc" },
    { "cPickle", "pickle" }, { "_elementtree", "xml.etree.ElementTree" },
    { "FileDialog", "tkinter.filedialog" }, { "SimpleDialog", "tkinter.simpledialog" },
    { "DocXMLRPCServer", "xmlrpc.server" }, { "SimpleHTTPServer", "http.server" },
    { "CGIHTTPServer", "http.server" }, { "UserDict", "collections" }, { "UserList", "collections" },
    { "UserString", "collections" }, { "whichdb", "dbm" }, { "StringIO", "io" }, { "cStringIO", "io" },
} };

struct NameRename {
    Pair from;
    Pair to;
};

constexpr std::array<NameRename, 37> kNameMapping { {
    { { "__builtin__", "xrange" }, { "builtins", "range" } },
    { { "__builtin__", "reduce" }, { "functools", "reduce" } },
    { { "__builtin__", "intern" }, { "sys", "intern" } },
    { { "__builtin__", "unichr" }, { "builtins", "chr" } },
    { { "__builtin__", "unicode" }, { "builtins", "str" } },
    { { "__builtin__", "long" }, { "builtins", "int" } },
    { { "__builtin__", "basestring" }, { "builtins", "str" } },
    { { "itertools", "izip" }, { "builtins", "zip" } },
    { { "itertools", "imap" }, { "builtins", "map" } },
    { { "itertools", "ifilter" }, { "builtins", "filter" } },
    { { "itertools", "ifilterfalse" }, { "itertools", "filterfalse" } },
    { { "itertools", "izip_longest" }, { "itertools", "zip_longest" } },
    { { "UserDict", "IterableUserDict" }, { "collections", "UserDict" } },
    { { "UserDict", "UserDict" }, { "collections", "UserDict" } },
    { { "UserList", "UserList" }, { "collections", "UserList" } },
    { { "UserString", "UserString" }, { "collections", "UserString" } },
    { { "whichdb", "whichdb" }, { "dbm", "whichdb" } },
    { { "_socket", "fromfd" }, { "socket", "fromfd" } },
    { { "socket", "_socketobject" }, { "socket", "SocketType" } },
    { { "_multiprocessing", "Connection" }, { "multiprocessing.connection", "Connection" } },
    { { "multiprocessing.process", "Process" }, { "multiprocessing.context", "Process" } },
    { { "multiprocessing.forking", "Popen" }, { "multiprocessing.popen_fork", "Popen" } },
    { { "urllib", "ContentTooShortError" }, { "urllib.error", "ContentTooShortError" } },
    { { "urllib", "getproxies" }, { "urllib.request", "getproxies" } },
    { { "urllib", "pathname2url" }, { "urllib.request", "pathname2url" } },
    { { "urllib", "quote_plus" }, { "urllib.parse", "quote_plus" } },
    { { "urllib", "quote" }, { "urllib.parse", "quote" } },
    { { "urllib", "unquote_plus" }, { "urllib.parse", "unquote_plus" } },
    { { "urllib", "unquote" }, { "urllib.parse", "unquote" } },
    { { "urllib", "url2pathname" }, { "urllib.request", "url2pathname" } },
    { { "urllib", "urlcleanup" }, { "urllib.request", "urlcleanup" } },
    { { "urllib", "urlencode" }, { "urllib.parse", "urlencode" } },
    { { "urllib", "urlopen" }, { "urllib.request", "urlopen" } },
    { { "urllib", "urlretrieve" }, { "urllib.request", "urlretrieve" } },
    { { "urllib2", "HTTPError" }, { "urllib.error", "HTTPError" } },
    { { "urllib2", "URLError" }, { "urllib.error", "URLError" } },
    { { "exceptions", "StandardError" }, { "builtins", "Exception" } },
} };

constexpr std::array<std::string_view, 48> kPython2Exceptions { "ArithmeticError", "AssertionError",
    "AttributeError", "BaseException", "BufferError", "BytesWarning", "DeprecationWarning", "EOFError",
    "EnvironmentError", "Exception", "FloatingPointError", "FutureWarning", "GeneratorExit", "IOError",
    "ImportError", "ImportWarning", "IndentationError", "IndexError", "KeyError", "KeyboardInterrupt",
    "LookupError", "MemoryError", "NameError", "NotImplementedError", "OSError", "OverflowError",
    "PendingDeprecationWarning", "ReferenceError", "RuntimeError", "RuntimeWarning", "StopIteration",
    "SyntaxError", "SyntaxWarning", "SystemError", "SystemExit", "TabError", "TargetScopeError", "TypeError",
    "UnboundLocalError", "UnicodeDecodeError", "UnicodeEncodeError", "UnicodeError", "UnicodeTranslateError",
    "UnicodeWarning", "UserWarning", "ValueError", "Warning", "ZeroDivisionError" };

constexpr std::array<std::string_view, 4> kMultiprocessingExceptions { "AuthenticationError", "BufferTooShort",
    "ProcessError", "TimeoutError" };

} // namespace

bool fixImportName(std::string_view module, std::string_view name, std::string& outModule, std::string& outName)
{
    for (const NameRename& rename : kNameMapping) {
        if (rename.from.first == module && rename.from.second == name) {
            outModule = rename.to.first;
            outName = rename.to.second;
            return true;
        }
    }
    // Whole lists of exception names that moved module.
    struct Moved {
        std::string_view from;
        std::span<const std::string_view> names;
        std::string_view to;
    };
    for (const Moved& moved : { Moved { "exceptions", kPython2Exceptions, "builtins" },
             Moved { "multiprocessing", kMultiprocessingExceptions, "multiprocessing.context" } }) {
        if (module == moved.from
            && std::find(moved.names.begin(), moved.names.end(), name) != moved.names.end()) {
            outModule = moved.to;
            outName = name;
            return true;
        }
    }
    for (const Pair& rename : kImportMapping) {
        if (rename.first == module) {
            outModule = rename.second;
            outName = name;
            return true;
        }
    }
    return false;
}

} // namespace core
