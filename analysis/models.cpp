// Stored results of trained models run on bitstreams (`detlab equiv model`).
#include "analysis/analysis.h"

#include <cmath>
#include <cstdio>
#include <map>

namespace detlab::analysis {

std::string ModelOnBitstream::reading() const {
    // Neutral about how the runs differ: the user chose them, usually bitstreams of different
    // placer seeds and models of different training seeds (the section's text says so).
    std::string text;
    if (bitstreams < 2)
        text = "only one bitstream, so nothing is compared across bitstreams";
    else if (identical_across_bitstreams)
        text = "each model's predictions are identical on all " + std::to_string(bitstreams) +
               " bitstreams";
    else
        text = "predictions DIFFER between bitstreams";
    if (prediction_mismatches > 0 || logit_mismatches > 0)
        text += "; " + std::to_string(prediction_mismatches) + " predictions and " +
                std::to_string(logit_mismatches) +
                " logits differ from the golden model (equivalence failure)";
    else
        text += "; every prediction and logit equals the golden model's";
    if (model_disagreement) {
        char percent[32];
        std::snprintf(percent, sizeof percent, "%.1f%%", *model_disagreement * 100);
        text += "; the " + std::to_string(models) + " models disagree with each other on " +
                percent + " of samples";
        if (pick == "disagreement")
            text += " (picked where they disagree, not a rate for the whole test split)";
    } else {
        text += "; a single model, so no disagreement between models is measured";
    }
    return text + ".";
}

std::vector<ModelOnBitstream>
model_on_bitstream_runs(const db::Store& store, const std::optional<std::string>& experiment) {
    db::RunFilter filter;
    filter.experiment = experiment;
    filter.kind = db::kKindModelOnBitstream;
    std::vector<ModelOnBitstream> out;
    for (const auto& row : store.runs(filter)) {
        ModelOnBitstream m;
        m.id = row.id;
        m.experiment = row.experiment;
        m.status = row.status;
        std::map<std::string, double> metrics;
        for (const auto& metric : store.metrics(row.id))
            if (metric.step == 0)
                metrics[metric.key] = metric.value;
        auto count = [&](const char* key) {
            auto it = metrics.find(key);
            return it == metrics.end() ? 0 : static_cast<int>(std::lround(it->second));
        };
        m.models = count(db::metric::kModels);
        m.bitstreams = count(db::metric::kBitstreams);
        m.samples = count(db::metric::kSamples);
        m.prediction_mismatches = count(db::metric::kPredictionMismatches);
        m.logit_mismatches = count(db::metric::kLogitMismatches);
        m.identical_across_bitstreams = count(db::metric::kIdenticalAcrossBitstreams) == 1;
        if (auto it = metrics.find(db::metric::kModelDisagreement); it != metrics.end())
            m.model_disagreement = it->second;
        for (const auto& [key, value] : store.params(row.id))
            if (key == "pick") // absent in runs from before the option: those took the first
                m.pick = value;
        out.push_back(std::move(m));
    }
    return out;
}

} // namespace detlab::analysis
