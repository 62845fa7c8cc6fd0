#include "core/safety/global_rules.h"

#include "core/pickle/opcodes.h"
#include "core/pickle/pickle_machine.h"
#include "core/pickle/reconstructors.h"

#include <algorithm>
#include <array>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace core::safety {

namespace {

// Reasons, shared by many rows.
constexpr std::string_view kShell = "runs programs or shell commands";
constexpr std::string_view kProcess = "controls processes, signals or threads";
constexpr std::string_view kCode = "compiles or executes Python code";
constexpr std::string_view kImport = "imports modules or changes the import machinery";
constexpr std::string_view kAttr = "reaches arbitrary attributes (gadget for code execution)";
constexpr std::string_view kSetAttr = "sets or deletes arbitrary attributes (rewires objects)";
constexpr std::string_view kNamespace
    = "exposes a namespace dictionary (module globals, locals: every name in it)";
constexpr std::string_view kItem = "reaches arbitrary items of any object (gadget for lookups)";
constexpr std::string_view kMethod = "calls an arbitrary method by name on any object";
constexpr std::string_view kWrapper
    = "call wrapper: runs whatever callable it wraps, with the arguments it binds; what it wraps "
      "could not be resolved";
constexpr std::string_view kFiles = "reads, writes or deletes files";
constexpr std::string_view kNetwork = "opens network connections";
constexpr std::string_view kNested = "unpickles nested data with a full unpickler";
constexpr std::string_view kFfi = "calls native code (foreign function interface)";
constexpr std::string_view kDebug = "runs code under a debugger, profiler or test runner";
constexpr std::string_view kInterp = "manipulates the interpreter itself";
constexpr std::string_view kScanner = "tampers with a pickle scanner";
constexpr std::string_view kTorchCode = "torch internals that compile, run or load code";
constexpr std::string_view kExit = "terminates the interpreter";
constexpr std::string_view kRegistry = "registers an import reachable through EXT opcodes";

constexpr std::string_view kTorchAllow = "torch weights_only allowlist";
constexpr std::string_view kPlain = "plain data type";
constexpr std::string_view kReconstructor = "reconstructor PickleScope knows";
constexpr std::string_view kNumpy = "numpy array/scalar reconstruction";
constexpr std::string_view kJoblib
    = "joblib array wrapper (a record of the array bytes that follow)";
constexpr std::string_view kDistcp
    = "distributed-checkpoint metadata record (a dataclass or enum of names, shapes and offsets)";
constexpr std::string_view kException = "exception class (constructing it runs nothing)";
constexpr std::string_view kTorchScript = "TorchScript container helper";

struct Rule {
    std::string_view module;
    std::string_view name; // "*": every name of the module and of its submodules
    Verdict verdict;
    std::string_view reason;
};

// Dangerous rows: the union of picklescan's _unsafe_globals, fickling's UNSAFE_IMPORTS /
// UnsafeImportsML / BadCalls and modelscan's CRITICAL/HIGH lists, plus what the issue names.
// Facts gathered from those lists; the table is ours.
constexpr Rule kDangerous[] = {
    // processes and shells
    { "os", "*", Verdict::Dangerous, kShell },
    { "posix", "*", Verdict::Dangerous, kShell },
    { "nt", "*", Verdict::Dangerous, kShell },
    { "subprocess", "*", Verdict::Dangerous, kShell },
    { "_posixsubprocess", "*", Verdict::Dangerous, kShell },
    { "commands", "*", Verdict::Dangerous, kShell },
    { "popen2", "*", Verdict::Dangerous, kShell },
    { "pty", "*", Verdict::Dangerous, kShell },
    { "pexpect", "*", Verdict::Dangerous, kShell },
    { "pipes", "*", Verdict::Dangerous, kShell },
    { "platform", "*", Verdict::Dangerous, kShell },
    { "multiprocessing", "*", Verdict::Dangerous, kProcess },
    { "_multiprocessing", "*", Verdict::Dangerous, kProcess },
    { "concurrent", "*", Verdict::Dangerous, kProcess },
    { "signal", "*", Verdict::Dangerous, kProcess },
    { "_signal", "*", Verdict::Dangerous, kProcess },
    { "threading", "*", Verdict::Dangerous, kProcess },
    { "_thread", "*", Verdict::Dangerous, kProcess },
    { "atexit", "*", Verdict::Dangerous, kProcess },
    { "select", "*", Verdict::Dangerous, kProcess },
    { "selectors", "*", Verdict::Dangerous, kProcess },
    { "resource", "*", Verdict::Dangerous, kProcess },
    { "fcntl", "*", Verdict::Dangerous, kProcess },
    { "termios", "*", Verdict::Dangerous, kProcess },
    { "_winapi", "*", Verdict::Dangerous, kShell },
    { "winreg", "*", Verdict::Dangerous, kShell },
    { "msvcrt", "*", Verdict::Dangerous, kShell },
    { "uuid", "*", Verdict::Dangerous, kShell }, // uuid._get_command_stdout runs programs
    { "_osx_support", "*", Verdict::Dangerous, kShell },
    { "_aix_support", "*", Verdict::Dangerous, kShell },
    { "sys", "*", Verdict::Dangerous, kInterp },
    { "gc", "*", Verdict::Dangerous, kInterp },
    { "site", "*", Verdict::Dangerous, kInterp },
    { "_sitebuiltins", "*", Verdict::Dangerous, kInterp },
    { "inspect", "*", Verdict::Dangerous, kAttr },
    // code execution
    { "builtins", "eval", Verdict::Dangerous, kCode },
    { "builtins", "exec", Verdict::Dangerous, kCode },
    { "builtins", "execfile", Verdict::Dangerous, kCode },
    { "builtins", "compile", Verdict::Dangerous, kCode },
    { "builtins", "apply", Verdict::Dangerous, kCode },
    { "builtins", "breakpoint", Verdict::Dangerous, kDebug },
    { "builtins", "input", Verdict::Dangerous, kCode },
    { "builtins", "raw_input", Verdict::Dangerous, kCode },
    { "builtins", "help", Verdict::Dangerous, kShell },
    { "builtins", "exit", Verdict::Dangerous, kExit },
    { "builtins", "quit", Verdict::Dangerous, kExit },
    { "builtins", "open", Verdict::Dangerous, kFiles },
    { "builtins", "file", Verdict::Dangerous, kFiles },
    { "builtins", "__import__", Verdict::Dangerous, kImport },
    { "builtins", "reload", Verdict::Dangerous, kImport },
    { "builtins", "getattr", Verdict::Dangerous, kAttr },
    { "builtins", "setattr", Verdict::Dangerous, kSetAttr },
    { "builtins", "delattr", Verdict::Dangerous, kSetAttr },
    { "builtins", "hasattr", Verdict::Dangerous, kAttr },
    { "builtins", "globals", Verdict::Dangerous, kNamespace },
    { "builtins", "locals", Verdict::Dangerous, kNamespace },
    { "builtins", "vars", Verdict::Dangerous, kNamespace },
    { "runpy", "*", Verdict::Dangerous, kCode },
    { "code", "*", Verdict::Dangerous, kCode },
    { "codeop", "*", Verdict::Dangerous, kCode },
    { "marshal", "*", Verdict::Dangerous, kCode },
    { "types", "CodeType", Verdict::Dangerous, kCode },
    { "types", "FunctionType", Verdict::Dangerous, kCode },
    { "types", "LambdaType", Verdict::Dangerous, kCode },
    { "types", "MethodType", Verdict::Dangerous, kCode },
    { "_interpreters", "*", Verdict::Dangerous, kCode },
    { "_xxsubinterpreters", "*", Verdict::Dangerous, kCode },
    { "doctest", "*", Verdict::Dangerous, kCode },
    { "tkinter", "*", Verdict::Dangerous, kCode }, // Tcl eval
    { "_tkinter", "*", Verdict::Dangerous, kCode },
    { "yaml", "load", Verdict::Dangerous, kCode },
    { "yaml", "load_all", Verdict::Dangerous, kCode },
    { "yaml", "unsafe_load", Verdict::Dangerous, kCode },
    { "yaml", "unsafe_load_all", Verdict::Dangerous, kCode },
    { "yaml", "full_load", Verdict::Dangerous, kCode },
    { "yaml", "full_load_all", Verdict::Dangerous, kCode },
    { "jsonpickle", "*", Verdict::Dangerous, kCode },
    // import machinery
    { "importlib", "*", Verdict::Dangerous, kImport },
    { "_frozen_importlib", "*", Verdict::Dangerous, kImport },
    { "_frozen_importlib_external", "*", Verdict::Dangerous, kImport },
    { "_imp", "*", Verdict::Dangerous, kImport },
    { "imp", "*", Verdict::Dangerous, kImport },
    { "pkgutil", "*", Verdict::Dangerous, kImport },
    { "zipimport", "*", Verdict::Dangerous, kImport },
    { "pydoc", "*", Verdict::Dangerous, kImport },
    { "copyreg", "add_extension", Verdict::Dangerous, kRegistry },
    // attribute gadgets
    { "operator", "attrgetter", Verdict::Dangerous, kAttr },
    { "operator", "itemgetter", Verdict::Dangerous, kItem },
    { "operator", "methodcaller", Verdict::Dangerous, kMethod },
    { "_operator", "attrgetter", Verdict::Dangerous, kAttr },
    { "_operator", "itemgetter", Verdict::Dangerous, kItem },
    { "_operator", "methodcaller", Verdict::Dangerous, kMethod },
    // call wrappers: classified by what they wrap when the value graph shows it
    // (reclassifyCallWrappers); dangerous while it is not known
    { "functools", "partial", Verdict::Dangerous, kWrapper },
    { "functools", "partialmethod", Verdict::Dangerous, kWrapper },
    { "_functools", "partial", Verdict::Dangerous, kWrapper },
    // debuggers, profilers, test runners
    { "pdb", "*", Verdict::Dangerous, kDebug },
    { "bdb", "*", Verdict::Dangerous, kDebug },
    { "timeit", "*", Verdict::Dangerous, kDebug },
    { "trace", "*", Verdict::Dangerous, kDebug },
    { "cProfile", "*", Verdict::Dangerous, kDebug },
    { "profile", "*", Verdict::Dangerous, kDebug },
    { "unittest", "*", Verdict::Dangerous, kDebug },
    { "test", "*", Verdict::Dangerous, kDebug },
    { "idlelib", "*", Verdict::Dangerous, kCode },
    { "lib2to3", "*", Verdict::Dangerous, kCode },
    { "_pyrepl", "*", Verdict::Dangerous, kCode },
    // packaging
    { "pip", "*", Verdict::Dangerous, kShell },
    { "venv", "*", Verdict::Dangerous, kShell },
    { "ensurepip", "*", Verdict::Dangerous, kShell },
    { "distutils", "*", Verdict::Dangerous, kFiles },
    { "setuptools", "*", Verdict::Dangerous, kShell },
    // native code
    { "ctypes", "*", Verdict::Dangerous, kFfi },
    { "_ctypes", "*", Verdict::Dangerous, kFfi },
    { "cffi", "*", Verdict::Dangerous, kFfi },
    // nested unpicklers
    { "pickle", "*", Verdict::Dangerous, kNested },
    { "_pickle", "*", Verdict::Dangerous, kNested },
    { "cPickle", "*", Verdict::Dangerous, kNested },
    { "dill", "*", Verdict::Dangerous, kNested },
    { "cloudpickle", "*", Verdict::Dangerous, kNested },
    { "shelve", "*", Verdict::Dangerous, kNested },
    { "joblib", "load", Verdict::Dangerous, kNested },
    { "joblib.numpy_pickle", "load", Verdict::Dangerous, kNested },
    { "joblib.numpy_pickle", "load_compatibility", Verdict::Dangerous, kNested },
    { "joblib.parallel", "*", Verdict::Dangerous, kProcess },
    { "joblib._memmapping_reducer", "*", Verdict::Dangerous, kFiles },
    // files
    { "shutil", "*", Verdict::Dangerous, kFiles },
    { "tempfile", "*", Verdict::Dangerous, kFiles },
    { "filecmp", "*", Verdict::Dangerous, kFiles },
    { "fileinput", "*", Verdict::Dangerous, kFiles },
    { "glob", "*", Verdict::Dangerous, kFiles },
    { "linecache", "*", Verdict::Dangerous, kFiles },
    { "compileall", "*", Verdict::Dangerous, kFiles },
    { "py_compile", "*", Verdict::Dangerous, kFiles },
    { "mmap", "*", Verdict::Dangerous, kFiles },
    { "tarfile", "*", Verdict::Dangerous, kFiles },
    { "zipfile", "*", Verdict::Dangerous, kFiles },
    { "sqlite3", "*", Verdict::Dangerous, kFiles },
    { "_sqlite3", "*", Verdict::Dangerous, kFiles },
    { "dbm", "*", Verdict::Dangerous, kFiles },
    { "syslog", "*", Verdict::Dangerous, kFiles },
    { "io", "open", Verdict::Dangerous, kFiles },
    { "io", "open_code", Verdict::Dangerous, kFiles },
    { "io", "FileIO", Verdict::Dangerous, kFiles },
    { "_io", "open", Verdict::Dangerous, kFiles },
    { "_io", "open_code", Verdict::Dangerous, kFiles },
    { "_io", "FileIO", Verdict::Dangerous, kFiles },
    { "codecs", "open", Verdict::Dangerous, kFiles },
    { "logging", "FileHandler", Verdict::Dangerous, kFiles },
    { "logging.handlers", "*", Verdict::Dangerous, kFiles },
    { "logging.config", "*", Verdict::Dangerous, kCode },
    // network
    { "socket", "*", Verdict::Dangerous, kNetwork },
    { "_socket", "*", Verdict::Dangerous, kNetwork },
    { "ssl", "*", Verdict::Dangerous, kNetwork },
    { "_ssl", "*", Verdict::Dangerous, kNetwork },
    { "http", "*", Verdict::Dangerous, kNetwork },
    { "httplib", "*", Verdict::Dangerous, kNetwork },
    { "urllib", "*", Verdict::Dangerous, kNetwork },
    { "urllib2", "*", Verdict::Dangerous, kNetwork },
    { "urllib3", "*", Verdict::Dangerous, kNetwork },
    { "requests", "*", Verdict::Dangerous, kNetwork },
    { "httpx", "*", Verdict::Dangerous, kNetwork },
    { "aiohttp", "*", Verdict::Dangerous, kNetwork },
    { "asyncio", "*", Verdict::Dangerous, kShell },
    { "webbrowser", "*", Verdict::Dangerous, kShell },
    { "smtplib", "*", Verdict::Dangerous, kNetwork },
    { "smtpd", "*", Verdict::Dangerous, kNetwork },
    { "imaplib", "*", Verdict::Dangerous, kNetwork },
    { "ftplib", "*", Verdict::Dangerous, kNetwork },
    { "poplib", "*", Verdict::Dangerous, kNetwork },
    { "telnetlib", "*", Verdict::Dangerous, kNetwork },
    { "nntplib", "*", Verdict::Dangerous, kNetwork },
    { "socketserver", "*", Verdict::Dangerous, kNetwork },
    { "xmlrpc", "*", Verdict::Dangerous, kNetwork },
    // numpy
    { "numpy", "load", Verdict::Dangerous, kNested },
    { "numpy", "loadtxt", Verdict::Dangerous, kFiles },
    { "numpy", "genfromtxt", Verdict::Dangerous, kFiles },
    { "numpy", "fromfile", Verdict::Dangerous, kFiles },
    { "numpy", "memmap", Verdict::Dangerous, kFiles },
    { "numpy", "save", Verdict::Dangerous, kFiles },
    { "numpy", "savez", Verdict::Dangerous, kFiles },
    { "numpy", "savez_compressed", Verdict::Dangerous, kFiles },
    { "numpy", "savetxt", Verdict::Dangerous, kFiles },
    { "numpy.lib.npyio", "*", Verdict::Dangerous, kNested },
    { "numpy.lib._npyio_impl", "*", Verdict::Dangerous, kNested },
    { "numpy.lib.format", "*", Verdict::Dangerous, kNested },
    { "numpy.f2py", "*", Verdict::Dangerous, kCode },
    { "numpy.distutils", "*", Verdict::Dangerous, kShell },
    { "numpy.testing", "*", Verdict::Dangerous, kCode },
    { "numpy.ctypeslib", "*", Verdict::Dangerous, kFfi },
    // pandas readers
    { "pandas.io", "*", Verdict::Dangerous, kFiles },
    { "pandas", "read_pickle", Verdict::Dangerous, kNested },
    // torch
    { "torch", "load", Verdict::Dangerous, kNested },
    { "torch", "save", Verdict::Dangerous, kFiles },
    { "torch", "from_file", Verdict::Dangerous, kFiles },
    { "torch", "compile", Verdict::Dangerous, kTorchCode },
    { "torch.serialization", "load", Verdict::Dangerous, kNested },
    { "torch.serialization", "_load", Verdict::Dangerous, kNested },
    { "torch.serialization", "_legacy_load", Verdict::Dangerous, kNested },
    { "torch.serialization", "save", Verdict::Dangerous, kFiles },
    { "torch.hub", "*", Verdict::Dangerous, kTorchCode },
    { "torch._dynamo", "*", Verdict::Dangerous, kTorchCode },
    { "torch._inductor", "*", Verdict::Dangerous, kTorchCode },
    { "torch.jit", "*", Verdict::Dangerous, kTorchCode },
    { "torch._C", "*", Verdict::Dangerous, kTorchCode },
    { "torch.ops", "*", Verdict::Dangerous, kTorchCode },
    { "torch.classes", "*", Verdict::Dangerous, kTorchCode },
    { "torch.package", "*", Verdict::Dangerous, kTorchCode },
    { "torch.multiprocessing", "*", Verdict::Dangerous, kProcess },
    { "torch.distributed.rpc", "*", Verdict::Dangerous, kNetwork },
    { "torch.distributed.elastic", "*", Verdict::Dangerous, kShell },
    { "torch.utils.cpp_extension", "*", Verdict::Dangerous, kTorchCode },
    { "torch.utils.collect_env", "*", Verdict::Dangerous, kShell },
    { "torch.utils.bottleneck", "*", Verdict::Dangerous, kDebug },
    { "torch.utils._config_module", "*", Verdict::Dangerous, kNested },
    { "torch.utils.data.datapipes.utils.decoder", "*", Verdict::Dangerous, kNested },
    { "torch.fx.experimental.symbolic_shapes", "ShapeEnv.evaluate_guards_expression",
        Verdict::Dangerous, kCode },
    // scanners
    { "fickling", "*", Verdict::Dangerous, kScanner },
    { "picklescan", "*", Verdict::Dangerous, kScanner },
    { "modelscan", "*", Verdict::Dangerous, kScanner },
    { "model_unpickler", "*", Verdict::Dangerous, kScanner },
    { "saferpickle", "*", Verdict::Dangerous, kScanner },
    { "modelaudit", "*", Verdict::Dangerous, kScanner },
};

// Explicit safe (and explicit unknown) rows. The reconstructors the machine types
// (core/pickle/reconstructors.h) are safe rows too: tables() adds them. An exact row wins over a dangerous wildcard of its
// module (torch.jit._pickle under torch.jit, uuid.UUID under uuid).
constexpr Rule kExplicit[] = {
    { "collections", "deque", Verdict::Safe, kPlain },
    { "collections", "UserDict", Verdict::Safe, kPlain },
    { "collections", "UserList", Verdict::Safe, kPlain },
    { "collections", "UserString", Verdict::Safe, kPlain },
    { "builtins", "int", Verdict::Safe, kPlain },
    { "builtins", "float", Verdict::Safe, kPlain },
    { "builtins", "str", Verdict::Safe, kPlain },
    { "builtins", "bool", Verdict::Safe, kPlain },
    { "builtins", "list", Verdict::Safe, kPlain },
    { "builtins", "dict", Verdict::Safe, kPlain },
    { "builtins", "tuple", Verdict::Safe, kPlain },
    { "builtins", "object", Verdict::Safe, kReconstructor },
    { "builtins", "slice", Verdict::Safe, kPlain },
    { "builtins", "range", Verdict::Safe, kPlain },
    { "builtins", "type", Verdict::Safe, kPlain },
    { "builtins", "NotImplemented", Verdict::Safe, kPlain },
    { "builtins", "Ellipsis", Verdict::Safe, kPlain },
    { "datetime", "datetime", Verdict::Safe, kPlain },
    { "datetime", "date", Verdict::Safe, kPlain },
    { "datetime", "time", Verdict::Safe, kPlain },
    { "datetime", "timedelta", Verdict::Safe, kPlain },
    { "datetime", "timezone", Verdict::Safe, kPlain },
    { "datetime", "tzinfo", Verdict::Safe, kPlain },
    { "decimal", "Decimal", Verdict::Safe, kPlain },
    { "fractions", "Fraction", Verdict::Safe, kPlain },
    { "array", "array", Verdict::Safe, kPlain },
    { "array", "_array_reconstructor", Verdict::Safe, kReconstructor },
    { "argparse", "Namespace", Verdict::Safe, kPlain },
    { "types", "SimpleNamespace", Verdict::Safe, kPlain },
    { "uuid", "UUID", Verdict::Safe, kPlain },
    { "uuid", "SafeUUID", Verdict::Safe, kPlain },
    { "pathlib", "Path", Verdict::Safe, kPlain },
    { "pathlib", "PosixPath", Verdict::Safe, kPlain },
    { "pathlib", "WindowsPath", Verdict::Safe, kPlain },
    { "pathlib", "PurePath", Verdict::Safe, kPlain },
    { "pathlib", "PurePosixPath", Verdict::Safe, kPlain },
    { "pathlib", "PureWindowsPath", Verdict::Safe, kPlain },
    { "sys", "intern", Verdict::Unknown, "Python 2 intern (renamed from __builtin__.intern)" },
    { "torch.storage", "_load_from_bytes", Verdict::Unknown,
        "runs torch.load (full unpickler) on embedded bytes" },
    // numpy
    { "numpy", "ndarray", Verdict::Safe, kNumpy },
    { "numpy", "dtype", Verdict::Safe, kNumpy },
    { "numpy.core.multiarray", "_reconstruct", Verdict::Safe, kNumpy },
    { "numpy._core.multiarray", "_reconstruct", Verdict::Safe, kNumpy },
    { "numpy.core.multiarray", "scalar", Verdict::Safe, kNumpy },
    { "numpy._core.multiarray", "scalar", Verdict::Safe, kNumpy },
    { "numpy.core.numeric", "_frombuffer", Verdict::Safe, kNumpy },
    { "numpy._core.numeric", "_frombuffer", Verdict::Safe, kNumpy },
    { "numpy.ma.core", "_mareconstruct", Verdict::Safe, kNumpy },
    { "numpy.ma.core", "MaskedArray", Verdict::Safe, kNumpy },
    { "numpy.random._pickle", "__randomstate_ctor", Verdict::Safe, kNumpy },
    { "numpy.random._pickle", "__generator_ctor", Verdict::Safe, kNumpy },
    { "numpy.random._pickle", "__bit_generator_ctor", Verdict::Safe, kNumpy },
    { "numpy.dtypes", "*", Verdict::Safe, kNumpy },
    // joblib's records of the arrays written after them in the stream: data only (joblib reads
    // the bytes that follow; the array's subclass and dtype are globals classified on their own)
    { "joblib.numpy_pickle", "NumpyArrayWrapper", Verdict::Safe, kJoblib },
    { "joblib.numpy_pickle", "NDArrayWrapper", Verdict::Safe, kJoblib },
    { "joblib.numpy_pickle", "ZNDArrayWrapper", Verdict::Safe, kJoblib },
    // torch.distributed.checkpoint's .metadata: dataclasses and enums that hold names, shapes,
    // dtypes and byte ranges; unpickling them sets fields (TensorProperties' __setstate__ too)
    { "torch.distributed.checkpoint.metadata", "Metadata", Verdict::Safe, kDistcp },
    { "torch.distributed.checkpoint.metadata", "MetadataIndex", Verdict::Safe, kDistcp },
    { "torch.distributed.checkpoint.metadata", "TensorStorageMetadata", Verdict::Safe, kDistcp },
    { "torch.distributed.checkpoint.metadata", "BytesStorageMetadata", Verdict::Safe, kDistcp },
    { "torch.distributed.checkpoint.metadata", "ChunkStorageMetadata", Verdict::Safe, kDistcp },
    { "torch.distributed.checkpoint.metadata", "TensorProperties", Verdict::Safe, kDistcp },
    { "torch.distributed.checkpoint.metadata", "StorageMeta", Verdict::Safe, kDistcp },
    { "torch.distributed.checkpoint.filesystem", "_StorageInfo", Verdict::Safe, kDistcp },
    { "torch.distributed._shard.sharded_tensor.metadata", "TensorProperties", Verdict::Safe,
        kDistcp },
    { "torch.distributed._shard.sharded_tensor.metadata", "MEM_FORMAT_ENCODING", Verdict::Safe,
        kDistcp },
    { "torch.distributed._shard.sharded_tensor.metadata",
        "MEM_FORMAT_ENCODING.TORCH_CONTIGUOUS_FORMAT", Verdict::Safe, kDistcp },
    { "torch.distributed._shard.sharded_tensor.metadata", "MEM_FORMAT_ENCODING.TORCH_CHANNELS_LAST",
        Verdict::Safe, kDistcp },
    { "torch.distributed._shard.sharded_tensor.metadata",
        "MEM_FORMAT_ENCODING.TORCH_PRESERVE_FORMAT", Verdict::Safe, kDistcp },
    // torch (beyond the generated allowlist)
    { "torch", "dtype", Verdict::Safe, kPlain },
    { "torch", "layout", Verdict::Safe, kPlain },
    { "torch", "strided", Verdict::Safe, kPlain },
    { "torch", "sparse_coo", Verdict::Safe, kPlain },
    { "torch", "sparse_csr", Verdict::Safe, kPlain },
    { "torch", "contiguous_format", Verdict::Safe, kPlain },
    { "torch", "channels_last", Verdict::Safe, kPlain },
    { "torch", "channels_last_3d", Verdict::Safe, kPlain },
    { "torch", "preserve_format", Verdict::Safe, kPlain },
    { "torch", "UntypedStorage", Verdict::Safe, kReconstructor },
    { "torch", "TypedStorage", Verdict::Safe, kReconstructor },
    { "torch.nn.parameter", "Buffer", Verdict::Safe, kReconstructor },
    { "torch._utils", "_rebuild_sparse_csr_tensor", Verdict::Safe, kReconstructor },
    { "torch._utils", "_rebuild_xla_tensor", Verdict::Safe, kReconstructor },
    { "torch._utils", "_rebuild_mlc_tensor", Verdict::Safe, kReconstructor },
    { "torch._tensor", "_rebuild_from_type", Verdict::Safe, kReconstructor },
    { "torch.jit._pickle", "build_intlist", Verdict::Safe, kTorchScript },
    { "torch.jit._pickle", "build_doublelist", Verdict::Safe, kTorchScript },
    { "torch.jit._pickle", "build_boollist", Verdict::Safe, kTorchScript },
    { "torch.jit._pickle", "build_tensorlist", Verdict::Safe, kTorchScript },
    { "torch.jit._pickle", "build_complexlist", Verdict::Safe, kTorchScript },
    { "torch.jit._pickle", "build_tensor_from_id", Verdict::Safe, kTorchScript },
    { "torch.jit._pickle", "restore_type_tag", Verdict::Safe, kTorchScript },
};

constexpr std::array<std::string_view, 48> kExceptions { "ArithmeticError", "AssertionError",
    "AttributeError", "BaseException", "BufferError", "BytesWarning", "DeprecationWarning",
    "EOFError", "EnvironmentError", "Exception", "FloatingPointError", "FutureWarning",
    "GeneratorExit", "IOError", "ImportError", "ImportWarning", "IndentationError", "IndexError",
    "KeyError", "KeyboardInterrupt", "LookupError", "MemoryError", "NameError",
    "NotImplementedError", "OSError", "OverflowError", "PendingDeprecationWarning",
    "ReferenceError", "RuntimeError", "RuntimeWarning", "StopIteration", "SyntaxError",
    "SyntaxWarning", "SystemError", "TabError", "TimeoutError", "TypeError", "UnboundLocalError",
    "UnicodeDecodeError", "UnicodeEncodeError", "UnicodeError", "UnicodeTranslateError",
    "UnicodeWarning", "UserWarning", "ValueError", "Warning", "ZeroDivisionError",
    "FileNotFoundError" };

constexpr std::array<std::string_view, 28> kNumpyScalars { "bool_", "int8", "int16", "int32",
    "int64", "uint8", "uint16", "uint32", "uint64", "float16", "float32", "float64", "float128",
    "longdouble", "complex64", "complex128", "complex256", "clongdouble", "str_", "bytes_", "void",
    "object_", "datetime64", "timedelta64", "intc", "uintc", "longlong", "ulonglong" };

// Modules whose appearance anywhere in an attribute path means the path leads there
// ("torch" + "os.system", "numpy.testing._private.utils.os" + "system").
constexpr std::array<std::string_view, 17> kStrongModules { "os", "posix", "nt", "subprocess",
    "sys", "builtins", "pty", "socket", "ctypes", "runpy", "importlib", "shutil", "pickle",
    "_pickle", "marshal", "webbrowser", "commands" };

// Attributes that reach code objects, globals, builtins, modules, the class graph or attribute
// machinery (the modelscan numpy.__builtins__ bypass and the classic sandbox escapes).
constexpr std::array<std::string_view, 30> kDangerousDunders { "__builtins__", "__builtin__",
    "__globals__", "__subclasses__", "__import__", "__code__", "__class__", "__bases__", "__base__",
    "__mro__", "__dict__", "__getattribute__", "__getattr__", "__setattr__", "__delattr__",
    "__reduce__", "__reduce_ex__", "__call__", "__closure__", "__func__", "__self__", "__loader__",
    "__spec__", "__file__", "__init_subclass__", "__setstate__", "__set_name__",
    "__class_getitem__", "__defaults__", "__kwdefaults__" };

// torch 2.x dtypes (str(dtype) of _dtype_to_storage_type_map, _new_dtypes, uint1-7, int1-7).
constexpr std::array<std::string_view, 32> kTorch2DTypes { "float64", "float32", "float16",
    "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool", "complex64", "complex128",
    "qint8", "quint8", "qint32", "quint4x2", "quint2x4", "float8_e5m2", "float8_e4m3fn",
    "float8_e5m2fnuz", "float8_e4m3fnuz", "bits8", "bits16", "bits1x8", "bits2x4", "bits4x2",
    "complex32", "uint16", "uint32", "uint64", "float8_e8m0fnu", "float4_e2m1fn_x2" };
constexpr std::array<std::string_view, 10> kTorch113DTypes { "complex32", "complex64", "complex128",
    "float16", "float32", "float64", "int8", "int16", "int32", "int64" };

constexpr std::array<std::string_view, 10> kTensorTypes { "Double", "Float", "Half", "BFloat16",
    "Byte", "Char", "Short", "Int", "Long", "Bool" };
constexpr std::array<std::string_view, 17> kStorageTypes { "Double", "Float", "Half", "BFloat16",
    "Byte", "Char", "Short", "Int", "Long", "Bool", "ComplexDouble", "ComplexFloat", "QUInt8",
    "QInt8", "QInt32", "QUInt4x2", "QUInt2x4" };
constexpr std::array<std::string_view, 5> kQSchemes { "per_tensor_affine", "per_tensor_symmetric",
    "per_channel_affine", "per_channel_symmetric", "per_channel_affine_float_qparams" };
constexpr std::array<std::string_view, 12> kTorch2Rebuild { "_rebuild_parameter",
    "_rebuild_parameter_with_state", "_rebuild_qtensor", "_rebuild_tensor", "_rebuild_tensor_v2",
    "_rebuild_tensor_v3", "_rebuild_sparse_tensor", "_rebuild_meta_tensor_no_storage",
    "_rebuild_nested_tensor", "_rebuild_wrapper_subclass", "_rebuild_device_tensor_from_numpy",
    "_rebuild_device_tensor_from_cpu_tensor" };
constexpr std::array<std::string_view, 6> kTorch113Rebuild { "_rebuild_parameter",
    "_rebuild_tensor", "_rebuild_tensor_v2", "_rebuild_sparse_tensor",
    "_rebuild_meta_tensor_no_storage", "_rebuild_sparse_csr_tensor" };

std::string key(std::string_view module, std::string_view name)
{
    std::string k;
    k.reserve(module.size() + name.size() + 1);
    k.append(module).push_back('\n');
    k.append(name);
    return k;
}

std::string dotted(std::string_view module, std::string_view name)
{
    std::string k(module);
    k.push_back('.');
    k.append(name);
    return k;
}

// Fully qualified names torch's weights-only unpickler resolves, per version.
std::unordered_set<std::string> makeWeightsOnly(TorchVersion version)
{
    std::unordered_set<std::string> set;
    const bool v2 = version == TorchVersion::V2;
    for (const char* name : { "collections.OrderedDict", "torch.nn.parameter.Parameter",
             "torch.serialization._get_layout", "torch.Size", "torch.Tensor" })
        set.emplace(name);
    if (v2)
        for (const char* name :
            { "collections.Counter", "torch.device", "_codecs.encode", "builtins.bytearray",
                "builtins.set", "builtins.complex", "torch.storage.TypedStorage",
                "torch.storage.UntypedStorage", "torch._tensor._rebuild_from_type_v2" })
            set.emplace(name);
    if (v2) {
        for (std::string_view d : kTorch2DTypes)
            set.emplace(dotted("torch", d));
        for (int bits = 1; bits <= 7; ++bits) {
            set.emplace("torch.uint" + std::to_string(bits));
            set.emplace("torch.int" + std::to_string(bits));
        }
        for (std::string_view q : kQSchemes)
            set.emplace(dotted("torch", q));
        for (std::string_view f : kTorch2Rebuild)
            set.emplace(dotted("torch._utils", f));
    } else {
        for (std::string_view d : kTorch113DTypes)
            set.emplace(dotted("torch", d));
        for (std::string_view f : kTorch113Rebuild)
            set.emplace(dotted("torch._utils", f));
        set.emplace("torch.storage.TypedStorage");
        set.emplace("torch.storage.UntypedStorage");
    }
    for (std::string_view t : kTensorTypes) {
        const std::string cls = std::string(t) + "Tensor";
        set.emplace("torch." + cls);
        set.emplace("torch.cuda." + cls);
        if (t != "Bool") {
            set.emplace("torch.sparse." + cls);
            set.emplace("torch.cuda.sparse." + cls);
        }
    }
    for (std::size_t i = 0; i < kStorageTypes.size(); ++i) {
        const std::string cls = std::string(kStorageTypes[i]) + "Storage";
        set.emplace("torch." + cls);
        if (i < 12) // no quantized cuda storages
            set.emplace("torch.cuda." + cls);
    }
    return set;
}

const std::unordered_set<std::string>& weightsOnlySet(TorchVersion version)
{
    static const std::unordered_set<std::string> v2 = makeWeightsOnly(TorchVersion::V2);
    static const std::unordered_set<std::string> v113 = makeWeightsOnly(TorchVersion::V1_13);
    return version == TorchVersion::V2 ? v2 : v113;
}

struct Tables {
    std::unordered_map<std::string, const Rule*> exact; // "module\nname"
    std::unordered_map<std::string, const Rule*> wildcard; // "module"
};

bool inGeneratedAllowlist(std::string_view module, std::string_view name);

const Tables& tables()
{
    static const Tables t = [] {
        Tables out;
        for (const Rule& rule : kDangerous) {
            if (rule.name == "*")
                out.wildcard.emplace(std::string(rule.module), &rule);
            else
                out.exact.emplace(key(rule.module, rule.name), &rule);
        }
        static const std::vector<Rule> reconstructors = [] {
            std::vector<Rule> rows;
            for (const std::string_view global : kReconstructorGlobals) {
                const std::size_t dot = global.rfind('.');
                if (dot == std::string_view::npos)
                    continue; // Reconstructor::None
                const std::string_view module = global.substr(0, dot), name = global.substr(dot + 1);
                rows.push_back({ module, name, Verdict::Safe,
                    inGeneratedAllowlist(module, name) ? kTorchAllow : kReconstructor });
            }
            return rows;
        }();
        for (const Rule& rule : reconstructors)
            out.exact[key(rule.module, rule.name)] = &rule;
        for (const Rule& rule : kExplicit) {
            if (rule.name == "*")
                out.wildcard[std::string(rule.module)] = &rule;
            else
                out.exact[key(rule.module, rule.name)] = &rule;
        }
        return out;
    }();
    return t;
}

bool isDunder(std::string_view segment)
{
    return segment.size() > 4 && segment.substr(0, 2) == "__"
        && segment.substr(segment.size() - 2) == "__";
}

bool isPrivate(std::string_view segment)
{
    return !segment.empty() && segment[0] == '_' && !isDunder(segment);
}

bool isIdentifierPath(std::string_view text)
{
    if (text.empty())
        return false;
    bool segmentStart = true;
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '.') {
            if (segmentStart)
                return false;
            segmentStart = true;
            continue;
        }
        const bool letter
            = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || u == '_' || u >= 0x80;
        const bool digit = u >= '0' && u <= '9';
        if (!letter && !(digit && !segmentStart))
            return false;
        segmentStart = false;
    }
    return !segmentStart;
}

std::vector<std::string_view> split(std::string_view text)
{
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t dot = text.find('.', start);
        const std::size_t end = dot == std::string_view::npos ? text.size() : dot;
        parts.push_back(text.substr(start, end - start));
        if (dot == std::string_view::npos)
            break;
        start = dot + 1;
    }
    return parts;
}

std::string join(const std::vector<std::string_view>& parts, std::size_t from, std::size_t to)
{
    std::string out;
    for (std::size_t i = from; i < to; ++i) {
        if (i != from)
            out.push_back('.');
        out.append(parts[i]);
    }
    return out;
}

// The table row for (module, name): exact first, then the module's or a parent package's
// wildcard. nullptr when none applies.
const Rule* lookup(std::string_view module, std::string_view name)
{
    const Tables& t = tables();
    if (const auto it = t.exact.find(key(module, name)); it != t.exact.end())
        return it->second;
    std::string_view prefix = module;
    while (!prefix.empty()) {
        if (const auto it = t.wildcard.find(std::string(prefix)); it != t.wildcard.end())
            return it->second;
        const std::size_t dot = prefix.rfind('.');
        if (dot == std::string_view::npos)
            break;
        prefix = prefix.substr(0, dot);
    }
    return nullptr;
}

bool inGeneratedAllowlist(std::string_view module, std::string_view name)
{
    return weightsOnlySet(TorchVersion::V2).count(dotted(module, name)) != 0
        || weightsOnlySet(TorchVersion::V1_13).count(dotted(module, name)) != 0;
}

// Whether module.name is listModule.<one of names>.
bool isListed(std::string_view module, std::string_view name, std::string_view listModule,
    std::span<const std::string_view> names)
{
    return module == listModule && std::find(names.begin(), names.end(), name) != names.end();
}

bool isNumpyScalar(std::string_view module, std::string_view name)
{
    return isListed(module, name, "numpy", kNumpyScalars);
}

bool isException(std::string_view module, std::string_view name)
{
    return isListed(module, name, "builtins", kExceptions);
}

constexpr std::size_t kMaxSegments = 32;

} // namespace

void normaliseGlobal(
    std::string_view module, std::string_view name, std::string& outModule, std::string& outName)
{
    if (!core::fixImportName(module, name, outModule, outName)) {
        outModule.assign(module);
        outName.assign(name);
    }
}

Classification classifyGlobal(std::string_view module, std::string_view name)
{
    Classification result;
    if (!isIdentifierPath(module) || !isIdentifierPath(name)) {
        result.verdict = Verdict::Unknown;
        result.reason = "not an importable Python name";
        result.finding = "module or name is not a dotted Python identifier";
        // Still check the danger lists below: Python would fail to import it, but a
        // lenient consumer might not.
    }

    // 1. The primary row.
    const Rule* rule = lookup(module, name);
    bool explicitRow = false;
    if (rule != nullptr) {
        result.verdict = rule->verdict;
        result.reason = rule->reason;
        explicitRow = true;
    } else if (inGeneratedAllowlist(module, name)) {
        result.verdict = Verdict::Safe;
        result.reason = kTorchAllow;
        explicitRow = true;
    } else if (isNumpyScalar(module, name)) {
        result.verdict = Verdict::Safe;
        result.reason = kNumpy;
        explicitRow = true;
    } else if (isException(module, name)) {
        result.verdict = Verdict::Safe;
        result.reason = kException;
        explicitRow = true;
    } else if (result.reason.empty()) {
        result.verdict = Verdict::Unknown;
        result.reason = "not on any list: review what it does";
    }
    if (result.verdict == Verdict::Dangerous || (explicitRow && result.finding.empty()))
        return result;

    // 2. Attribute paths and re-exported modules.
    const std::vector<std::string_view> moduleParts = split(module);
    const std::vector<std::string_view> nameParts = split(name);
    std::vector<std::string_view> parts = moduleParts;
    parts.insert(parts.end(), nameParts.begin(), nameParts.end());
    if (parts.size() > kMaxSegments) {
        result.verdict = Verdict::Dangerous;
        result.reason = "implausibly deep attribute path";
        result.finding = "attribute path of " + std::to_string(parts.size()) + " segments";
        return result;
    }
    const std::size_t boundary = moduleParts.size();
    for (std::size_t start = 0; start + 1 < parts.size(); ++start) {
        for (std::size_t split = start + 1; split < parts.size(); ++split) {
            if (start == 0 && split == boundary)
                continue; // the primary row, done
            if (start == 0 && split < boundary)
                continue; // a parent package: covered by wildcards
            const std::string candidateModule = join(parts, start, split);
            if (start > 0) {
                bool strong = false;
                for (std::string_view s : kStrongModules)
                    strong = strong || parts[start] == s;
                if (!strong)
                    continue;
            }
            const std::string candidateName = join(parts, split, parts.size());
            const Rule* candidate = lookup(candidateModule, candidateName);
            if (candidate != nullptr && candidate->verdict == Verdict::Dangerous) {
                result.verdict = Verdict::Dangerous;
                result.reason = std::string(candidate->reason) + " (reached as " + candidateModule
                    + "." + candidateName + ")";
                result.finding = "attribute path reaches " + candidateModule + "." + candidateName;
                return result;
            }
        }
    }

    // 3. Dunder and private names. The dunders that lead to code, globals, modules or the class
    // graph are dangerous; operator methods (int.__add__, pickled by reference) are not.
    for (std::string_view segment : nameParts) {
        if (!isDunder(segment))
            continue;
        bool bad = false;
        for (std::string_view d : kDangerousDunders)
            bad = bad || segment == d;
        if (bad) {
            result.verdict = Verdict::Dangerous;
            result.reason = "dunder attribute reaches interpreter internals";
            result.finding = "dunder name '" + std::string(segment) + "' in " + std::string(name);
            return result;
        }
        result.finding = "dunder name '" + std::string(segment) + "' in " + std::string(name);
    }
    if (nameParts.size() > 1 && result.finding.empty())
        result.finding = "dotted name '" + std::string(name) + "' walks attributes after import";
    if (result.finding.empty()) {
        for (std::string_view segment : parts) {
            if (isPrivate(segment)) {
                result.finding = "private name '" + std::string(segment) + "'";
                break;
            }
        }
    }
    return result;
}

bool weightsOnlyAllows(std::string_view module, std::string_view name, TorchVersion version)
{
    if (version == TorchVersion::V2
        && (module == "sys" || module == "os" || module == "posix" || module == "nt"))
        return false;
    return weightsOnlySet(version).count(dotted(module, name)) != 0;
}

bool weightsOnlyAcceptsOpcode(std::uint8_t opcode, TorchVersion version)
{
    const OpcodeInfo* info = opcodeInfo(opcode);
    const std::uint8_t bit = version == TorchVersion::V2 ? kWeightsOnlyV2 : kWeightsOnlyV113;
    return info != nullptr && (info->weightsOnly & bit) != 0;
}

std::string torchQualifiedName(std::string_view module, std::string_view name)
{
    if (module == "builtins")
        return std::string(name);
    return dotted(module, name);
}

bool isCallWrapper(std::string_view module, std::string_view name)
{
    return (module == "functools" && (name == "partial" || name == "partialmethod"))
        || (module == "_functools" && name == "partial");
}

std::optional<Classification> classifyCallWrapper(const ValueGraph& graph, ValueId wrapper)
{
    if (isNull(wrapper) || !graph.valid(wrapper) || graph.kind(wrapper) != ValueKind::Object)
        return std::nullopt;
    const ObjectRecord& object = graph.object(wrapper);
    if (isNull(object.callable) || !graph.valid(object.callable)
        || graph.kind(object.callable) != ValueKind::Global)
        return std::nullopt;
    const GlobalRecord& self = graph.global(object.callable);
    if (!isCallWrapper(self.module, self.name))
        return std::nullopt;

    // Every value its arguments and state reach (explicit worklist, bounded): the wrapped
    // callable is args[0] (REDUCE/NEWOBJ) and state[0] (BUILD's (func, args, kwargs, dict)).
    constexpr std::size_t kMaxVisited = 100000;
    std::vector<ValueId> work;
    std::unordered_set<std::uint32_t> seen;
    auto push = [&](ValueId id) {
        if (!isNull(id) && graph.valid(id) && seen.insert(static_cast<std::uint32_t>(id)).second)
            work.push_back(id);
    };
    seen.insert(static_cast<std::uint32_t>(wrapper));
    push(object.args);
    push(object.kwargs);
    push(object.state);
    for (const ValueId id : object.listItems)
        push(id);
    for (const ValueId id : object.dictItems)
        push(id);

    Classification result;
    result.verdict = Verdict::Safe;
    std::string worstName, worstReason;
    std::vector<std::string> wrapped;
    bool any = false;
    while (!work.empty()) {
        if (seen.size() > kMaxVisited) {
            result.verdict = Verdict::Unknown;
            result.reason = "call wrapper whose arguments are too large to resolve";
            return result;
        }
        const ValueId id = work.back();
        work.pop_back();
        if (graph.kind(id) == ValueKind::Global) {
            const GlobalRecord& g = graph.global(id);
            if (isCallWrapper(g.module, g.name))
                continue; // a nested wrapper: what it wraps is reached through its own object
            const Classification c = classifyGlobal(g.module, g.name);
            const std::string qualified = std::string(g.module) + "." + std::string(g.name);
            if (std::find(wrapped.begin(), wrapped.end(), qualified) == wrapped.end())
                wrapped.push_back(qualified);
            if (!any || static_cast<int>(c.verdict) > static_cast<int>(result.verdict)) {
                result.verdict = any ? std::max(result.verdict, c.verdict) : c.verdict;
                worstName = qualified;
                worstReason = c.reason;
            }
            any = true;
            continue;
        }
        graph.forEachChild(id, push);
    }
    std::sort(wrapped.begin(), wrapped.end());
    std::string list;
    for (std::size_t i = 0; i < wrapped.size() && i < 4; ++i)
        list += (i ? ", " : "") + wrapped[i];
    if (wrapped.size() > 4)
        list += ", ...";
    if (!any) {
        result.verdict = Verdict::Safe;
        result.reason = "call wrapper around plain values only (no global)";
    } else if (result.verdict == Verdict::Safe) {
        result.reason = "call wrapper around " + list + ": every global it wraps is safe";
    } else {
        result.reason = "call wrapper around " + list + ": " + worstName + " "
            + (result.verdict == Verdict::Dangerous ? "is dangerous (" : "is unknown (")
            + worstReason + ")";
    }
    return result;
}

void reclassifyCallWrappers(SafetyReport& report, const ValueGraph& graph)
{
    bool changed = false;
    for (GlobalUse& use : report.globals) {
        if (!isCallWrapper(use.module, use.name) || use.verdict == Verdict::Safe)
            continue; // safe already: resolved as CPython's NEWOBJ_EX spelling
        const auto c = classifyCallWrapper(graph, use.value);
        if (!c)
            continue;
        use.verdict = c->verdict;
        use.reason = c->reason;
        changed = true;
    }
    if (!changed)
        return;
    Verdict verdict = Verdict::Safe;
    for (const GlobalUse& use : report.globals)
        verdict = std::max(verdict, use.verdict);
    for (const Finding& finding : report.findingDetails)
        verdict = std::max(verdict, finding.verdict);
    report.verdict = verdict;
}

} // namespace core::safety
