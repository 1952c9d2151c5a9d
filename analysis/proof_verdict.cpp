// A run's equivalence verdict with its proof added (issue 31): `detlab equiv --prove` or a
// sweep's `equiv_prove` stores equiv_proof.json beside the simulation's equiv_result.json, never
// replacing it. A proof that decided (proved, differs) is the stronger evidence and gives the
// verdict; an unfinished one leaves the simulation's verdict standing.
#include "analysis/internal.h"

#include <nlohmann/json.hpp>

namespace detlab::analysis::detail {

// harness/equiv's kProofArtifact (analysis/ reads stored runs without linking the check).
constexpr const char* kProofArtifact = "equiv_proof.json";

std::string verdict_with_proof(const RunData& run, BlobCache& blobs, const std::string& simulated) {
    auto sha = sha_of(run, kProofArtifact);
    if (sha.empty())
        return simulated;
    const Bytes& bytes = blobs.get(sha);
    auto json = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, false);
    if (!json.is_object())
        return simulated;
    auto proof = json.value("proof", std::string());
    return proof == "proved" || proof == "differs" ? proof : simulated;
}

} // namespace detlab::analysis::detail
