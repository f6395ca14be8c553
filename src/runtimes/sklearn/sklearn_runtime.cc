// Embedded CPython for scikit-learn. The interpreter starts on the loader thread, which then
// releases the GIL; afterwards every Python touch takes it with PyGILState_Ensure (the loader
// and the batcher thread only). Inputs reach numpy without a copy (a read-only memoryview
// over the tensor buffer); outputs come back through the buffer protocol.
// clang-format off: the C API requires Python.h before any standard header.
#define PY_SSIZE_T_CLEAN
#include <Python.h>
// clang-format on

#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "runtimes/sklearn/sklearn_runtime.h"
#include "serving/model_file.h"

namespace skiff::runtimes::sklearn {

namespace {

using serving::DataType;
using serving::ExecutionPolicy;
using serving::ModelMetadata;
using serving::PredictRequest;
using serving::Tensor;

constexpr std::string_view kExtensions[] = {".joblib", ".pkl", ".pickle"};
constexpr std::string_view kProbaOutput = "predict_proba";

// Holds one strong reference. Destroy only with the GIL held.
class PyRef {
 public:
  PyRef() = default;
  explicit PyRef(PyObject* p) : p_(p) {}
  PyRef(PyRef&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  PyRef& operator=(PyRef&& o) noexcept {
    Py_XDECREF(p_);
    p_ = std::exchange(o.p_, nullptr);
    return *this;
  }
  ~PyRef() { Py_XDECREF(p_); }
  PyObject* get() const { return p_; }
  explicit operator bool() const { return p_ != nullptr; }

 private:
  PyObject* p_ = nullptr;
};

// Keeps the calling thread's Python thread state alive for the thread's lifetime. Without
// it, each PyGILState_Ensure/Release pair on a thread Python did not start creates and
// destroys a thread state, and with it the thread's dict, so every batch also rebuilt
// sklearn's and numpy's thread-local state; keeping it cut the server's CPU per request on
// the iris SVC benchmark by about 15%.
class ThreadStatePin {
 public:
  ThreadStatePin() : state_(PyGILState_Ensure()), saved_(PyEval_SaveThread()) {}
  // Runs at thread exit (the loader and batcher threads), never with the GIL held.
  ~ThreadStatePin() {
    PyEval_RestoreThread(saved_);
    PyGILState_Release(state_);
  }

 private:
  PyGILState_STATE state_;
  PyThreadState* saved_;
};

class Gil {
 public:
  Gil() {
    thread_local ThreadStatePin pin;
    state_ = PyGILState_Ensure();
  }
  ~Gil() { PyGILState_Release(state_); }

 private:
  PyGILState_STATE state_;
};

// "ExcType : message", as KServe reports exceptions; clears the Python error.
std::string PythonError() {
  PyObject *type = nullptr, *value = nullptr, *tb = nullptr;
  PyErr_Fetch(&type, &value, &tb);
  PyErr_NormalizeException(&type, &value, &tb);
  std::string out = type != nullptr ? reinterpret_cast<PyTypeObject*>(type)->tp_name : "Error";
  if (value != nullptr) {
    PyRef text(PyObject_Str(value));
    if (text) {
      const char* s = PyUnicode_AsUTF8(text.get());
      if (s != nullptr) out += std::string(" : ") + s;
    }
  }
  PyErr_Clear();
  Py_XDECREF(type);
  Py_XDECREF(value);
  Py_XDECREF(tb);
  return out;
}

void StartInterpreter() {
  static std::once_flag once;
  std::call_once(once, [] {
    PyConfig config;
    PyConfig_InitPythonConfig(&config);
    // SIGTERM/SIGINT belong to the server's drain, not to Python.
    config.install_signal_handlers = 0;
    // Debian's interpreter, so sys.path holds /usr/lib/python3/dist-packages (sklearn).
    PyConfig_SetString(&config, &config.program_name, L"/usr/bin/python3");
    PyConfig_SetString(&config, &config.executable, L"/usr/bin/python3");
    Py_InitializeFromConfig(&config);
    PyConfig_Clear(&config);
    // Release the GIL: from now on threads take it with PyGILState_Ensure. The interpreter is
    // never finalized (extension modules do not support it reliably); the process exit ends it.
    PyEval_SaveThread();
  });
}

std::optional<DataType> NumpyType(char kind, Py_ssize_t size) {
  switch (kind) {
    case 'b':
      return DataType::kBool;
    case 'i':
      return size == 1   ? std::optional(DataType::kInt8)
             : size == 2 ? std::optional(DataType::kInt16)
             : size == 4 ? std::optional(DataType::kInt32)
             : size == 8 ? std::optional(DataType::kInt64)
                         : std::nullopt;
    case 'u':
      return size == 1   ? std::optional(DataType::kUint8)
             : size == 2 ? std::optional(DataType::kUint16)
             : size == 4 ? std::optional(DataType::kUint32)
             : size == 8 ? std::optional(DataType::kUint64)
                         : std::nullopt;
    case 'f':
      return size == 2   ? std::optional(DataType::kFp16)
             : size == 4 ? std::optional(DataType::kFp32)
             : size == 8 ? std::optional(DataType::kFp64)
                         : std::nullopt;
    default:
      return std::nullopt;
  }
}

class SklearnRuntime : public serving::Runtime {
 public:
  explicit SklearnRuntime(const SklearnOptions& options) : options_(options) {}

  ~SklearnRuntime() override {
    if (Py_IsInitialized() && loaded_) {
      Gil gil;
      Drop();
    }
  }

  ExecutionPolicy policy() const override {
    // The GIL: one thread (the batcher's) calls Python; batching amortizes each call.
    return {.thread_safe = false,
            .can_batch = true,
            .default_max_batch_size = options_.default_max_batch_size};
  }

  Status Load(const std::string& model_dir) override {
    SKIFF_ASSIGN_OR_RETURN(std::string path, serving::FindModelFile(model_dir, kExtensions));
    StartInterpreter();
    Gil gil;
    Drop();
    PyRef joblib(PyImport_ImportModule("joblib"));
    if (!joblib) return Internal("Failed to import joblib: " + PythonError());
    PyRef numpy(PyImport_ImportModule("numpy"));
    if (!numpy) return Internal("Failed to import numpy: " + PythonError());
    PyRef model(PyObject_CallMethod(joblib.get(), "load", "s", path.c_str()));
    if (!model) return FailedPrecondition("Failed to load " + path + ": " + PythonError());
    PyRef predict(PyObject_GetAttrString(model.get(), "predict"));
    if (!predict) {
      return FailedPrecondition("Model in " + path + " has no predict method: " + PythonError());
    }
    // Present only on some estimators (SVC only with probability=True): optional.
    PyRef proba(PyObject_GetAttrString(model.get(), "predict_proba"));
    if (!proba) PyErr_Clear();
    features_ = -1;
    PyRef n(PyObject_GetAttrString(model.get(), "n_features_in_"));
    if (n && PyLong_Check(n.get())) {
      features_ = PyLong_AsLongLong(n.get());
    } else {
      PyErr_Clear();
    }
    frombuffer_ = PyRef(PyObject_GetAttrString(numpy.get(), "frombuffer"));
    contiguous_ = PyRef(PyObject_GetAttrString(numpy.get(), "ascontiguousarray"));
    float64_ = PyRef(PyObject_GetAttrString(numpy.get(), "float64"));
    if (!frombuffer_ || !contiguous_ || !float64_) return Internal("numpy: " + PythonError());
    model_ = std::move(model);
    predict_ = std::move(predict);
    predict_proba_ = std::move(proba);
    loaded_ = true;
    return Status::Ok();
  }

  void Unload() override {
    if (!loaded_) return;
    Gil gil;
    Drop();
  }

  ModelMetadata Metadata() const override {
    return {.platform = "sklearn",
            .inputs = {{.name = "input-0", .datatype = DataType::kFp64, .shape = {-1, features_}}},
            .outputs = {{.name = "output-0", .datatype = DataType::kFp64, .shape = {-1}}}};
  }

  StatusOr<std::vector<Tensor>> Predict(const PredictRequest& request) override {
    if (request.inputs.size() != 1) {
      return InvalidArgument("sklearn model takes exactly one input tensor, got " +
                             std::to_string(request.inputs.size()));
    }
    const Tensor& in = request.inputs[0];
    if (in.shape.size() != 2) {
      return InvalidArgument("Expected 2D array of rows of features, got shape of rank " +
                             std::to_string(in.shape.size()));
    }
    if (features_ >= 0 && in.shape[1] != features_) {
      return InvalidArgument("X has " + std::to_string(in.shape[1]) +
                             " features, but the model is expecting " + std::to_string(features_) +
                             " features as input.");
    }
    if (in.datatype == DataType::kBytes) {
      return InvalidArgument("sklearn model takes numeric input, got BYTES");
    }
    bool proba = options_.predict_proba;
    std::string output_name = "output-0";
    for (const std::string& name : request.output_names) {
      if (name == kProbaOutput) {
        proba = true;
        output_name = std::string(kProbaOutput);
      }
    }
    if (proba && !predict_proba_) {
      return InvalidArgument("Model does not support predict_proba");
    }
    // Everything up to here ran without the GIL.
    std::vector<double> converted;
    const char* data = in.data.data();
    size_t bytes = in.data.size();
    if (in.datatype != DataType::kFp64) {
      SKIFF_ASSIGN_OR_RETURN(converted, in.ToDoubles());
      data = reinterpret_cast<const char*>(converted.data());
      bytes = converted.size() * sizeof(double);
    }
    Gil gil;
    PyRef view(PyMemoryView_FromMemory(const_cast<char*>(data), static_cast<Py_ssize_t>(bytes),
                                       PyBUF_READ));
    if (!view) return Internal(PythonError());
    PyRef flat(
        PyObject_CallFunctionObjArgs(frombuffer_.get(), view.get(), float64_.get(), nullptr));
    if (!flat) return Internal(PythonError());
    PyRef x(PyObject_CallMethod(flat.get(), "reshape", "(nn)", static_cast<Py_ssize_t>(in.shape[0]),
                                static_cast<Py_ssize_t>(in.shape[1])));
    if (!x) return Internal(PythonError());
    PyRef raw(PyObject_CallOneArg(proba ? predict_proba_.get() : predict_.get(), x.get()));
    if (!raw) return Internal(PythonError());
    PyRef result(PyObject_CallOneArg(contiguous_.get(), raw.get()));
    if (!result) return Internal(PythonError());
    SKIFF_ASSIGN_OR_RETURN(Tensor out, ToTensor(result.get(), output_name));
    std::vector<Tensor> outputs;
    outputs.push_back(std::move(out));
    return outputs;
  }

 private:
  // REQUIRES: GIL held.
  void Drop() {
    model_ = PyRef();
    predict_ = PyRef();
    predict_proba_ = PyRef();
    frombuffer_ = PyRef();
    contiguous_ = PyRef();
    float64_ = PyRef();
    loaded_ = false;
  }

  // A C-contiguous numpy array into a tensor. REQUIRES: GIL held.
  StatusOr<Tensor> ToTensor(PyObject* array, const std::string& name) {
    Tensor t;
    t.name = name;
    PyRef shape(PyObject_GetAttrString(array, "shape"));
    if (!shape || !PyTuple_Check(shape.get())) return Internal("prediction is not an array");
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(shape.get()); ++i) {
      t.shape.push_back(PyLong_AsLongLong(PyTuple_GET_ITEM(shape.get(), i)));
    }
    PyRef dtype(PyObject_GetAttrString(array, "dtype"));
    PyRef kind(dtype ? PyObject_GetAttrString(dtype.get(), "kind") : nullptr);
    PyRef itemsize(dtype ? PyObject_GetAttrString(dtype.get(), "itemsize") : nullptr);
    if (!kind || !itemsize) return Internal(PythonError());
    const char* k = PyUnicode_AsUTF8(kind.get());
    std::optional<DataType> type =
        NumpyType(k != nullptr ? k[0] : '?', PyLong_AsSsize_t(itemsize.get()));
    if (type) {
      t.datatype = *type;
      Py_buffer buffer;
      if (PyObject_GetBuffer(array, &buffer, PyBUF_C_CONTIGUOUS) != 0) {
        return Internal(PythonError());
      }
      t.data.assign(static_cast<const char*>(buffer.buf), static_cast<size_t>(buffer.len));
      PyBuffer_Release(&buffer);
      return t;
    }
    // Labels of other kinds (strings, objects): their str(), as BYTES.
    t.datatype = DataType::kBytes;
    PyRef ravel(PyObject_CallMethod(array, "ravel", nullptr));
    PyRef list(ravel ? PyObject_CallMethod(ravel.get(), "tolist", nullptr) : nullptr);
    if (!list || !PyList_Check(list.get())) return Internal(PythonError());
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(list.get()); ++i) {
      PyRef s(PyObject_Str(PyList_GET_ITEM(list.get(), i)));
      Py_ssize_t len = 0;
      const char* utf8 = s ? PyUnicode_AsUTF8AndSize(s.get(), &len) : nullptr;
      if (utf8 == nullptr) return Internal(PythonError());
      t.AppendBytes(std::string_view(utf8, static_cast<size_t>(len)));
    }
    return t;
  }

  const SklearnOptions options_;
  // Python objects: touched only with the GIL, from the loader or the batcher thread.
  PyRef model_, predict_, predict_proba_, frombuffer_, contiguous_, float64_;
  int64_t features_ = -1;
  bool loaded_ = false;
};

}  // namespace

std::unique_ptr<serving::Runtime> NewSklearnRuntime(const SklearnOptions& options) {
  return std::make_unique<SklearnRuntime>(options);
}

}  // namespace skiff::runtimes::sklearn
