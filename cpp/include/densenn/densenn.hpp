// densenn: dense neural networks in C++17. Include this one header for the whole API.
#pragma once

#include "densenn/errors.hpp"
#include "densenn/frozen.hpp"
#include "densenn/gradcheck.hpp"
#include "densenn/kernels.hpp"
#include "densenn/layers.hpp"
#include "densenn/losses.hpp"
#include "densenn/matrix.hpp"
#include "densenn/optimizers.hpp"
#include "densenn/model_file.hpp"
#include "densenn/safetensors.hpp"
#include "densenn/sequential.hpp"
#include "densenn/threads.hpp"
#include "densenn/version.hpp"
