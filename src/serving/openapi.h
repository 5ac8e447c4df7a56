#pragma once

#include <string>

namespace plinth::serving {

struct LoadedModel;

// The OpenAPI 3 document of the server for this model: every endpoint, with the request schema
// generated from the signature and constraints (in pydantic's JSON-schema words, as FastAPI
// writes them) and the response schemas.
std::string openapi_json(const LoadedModel& model);

// GET /docs: one self-contained HTML page (inline script and style, nothing fetched from the
// network) that renders `openapi` (openapi_json's document) and lets a user send its input
// example to /predict.
std::string docs_page(const std::string& openapi);

}  // namespace plinth::serving
