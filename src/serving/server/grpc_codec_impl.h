// Folder-private: conversion between the gRPC V2 messages and the serving tensor model, with
// the same validation as the REST decoder (datatype, shape, element count, value ranges).
#pragma once

#include "base/status.h"
#include "serving/proto/grpc_predict_v2.pb.h"
#include "serving/tensor.h"
#include "serving/v2_codec.h"

namespace skiff::serving {

// Decodes a ModelInferRequest. Input data comes from `raw_input_contents` (all inputs) or each
// input's typed `contents`. Errors are InvalidArgument (gRPC INVALID_ARGUMENT) worded as the
// REST decoder words them; ResourceExhausted past the options' limits.
StatusOr<InferRequest> InferRequestFromProto(const inference::ModelInferRequest& proto,
                                             const V2DecodeOptions& options);

// Fills `out` (gRPC owns the message, hence the out-parameter). `raw`: data as
// raw_output_contents (as the client sent its inputs), else typed contents. Only the
// requested outputs when the request named some; InvalidArgument for an unknown one.
Status InferResponseToProto(InferResponse&& response, const V2ResponseOptions& requested, bool raw,
                            inference::ModelInferResponse& out);

}  // namespace skiff::serving
