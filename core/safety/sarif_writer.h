#pragma once

// SARIF 2.1.0 (OASIS) of a batch scan, the form code-scanning services and CI gates read: one
// run, tool "picklescope" with its version and three rules (dangerous global, unknown global,
// pickle anomaly), a result per dangerous or unknown global use (level error / warning) and per
// warning-level anomaly (note), each at the artifact's URI relative to the scan's base folder
// (uriBaseId SRCROOT) and the byte region of its opcode. Files that could not be read are
// tool execution notifications.

#include "core/safety/batch_scan.h"

#include <QByteArray>

#include <string>

namespace core::safety {

inline constexpr std::string_view kSarifRuleDangerous = "PS001";
inline constexpr std::string_view kSarifRuleUnknown = "PS002";
inline constexpr std::string_view kSarifRuleAnomaly = "PS003";

// `baseDir`: the absolute folder the URIs are relative to (originalUriBaseIds.SRCROOT); empty:
// the current directory.
QByteArray toSarif(
    const BatchResult& result, std::string_view toolVersion, const std::string& baseDir = {});

} // namespace core::safety
