// A factorial analysis as rows of the comparison table and as text.
#include "analysis/analysis.h"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace detlab::analysis {
namespace {

std::string number(double v, const char* format = "%.3g") {
    char text[64];
    std::snprintf(text, sizeof text, format, v);
    return text;
}

Estimate effect_estimate(const MeanDifference& d) {
    Estimate e;
    e.n = d.n_a + d.n_b;
    if (!std::isnan(d.difference))
        e.value = d.difference;
    e.ci = d.ci;
    e.note = d.note;
    return e;
}

ComparisonRow base_row(const FactorialAnalysis& a, const FactorTerm& term) {
    ComparisonRow row;
    row.domain = a.domain;
    row.experiment = a.experiment;
    row.study = "grid";
    row.factor = term.term;
    row.source = Source::factor; // named by row.factor, the term
    row.machine = a.machine;
    row.runs = a.runs;
    row.quality_label = a.metric;
    row.grid_term = term.term;
    row.variance_share_pct = term.share * 100;
    row.partial_eta_sq = term.partial_eta_sq;
    row.notes = a.notes;
    return row;
}

// "partial eta^2 0.862 [0.751, 0.915] n=24", or the value and why it has no interval.
std::string partial_text(const Estimate& e) {
    std::string out = "partial eta^2 ";
    out += e.value ? number(*e.value) : std::string("not defined");
    if (e.ci)
        out += " [" + number(e.ci->low) + ", " + number(e.ci->high) + "]";
    out += " n=";
    out += std::to_string(e.n);
    if (!e.note.empty())
        out += " (" + e.note + ")";
    return out;
}

std::string term_line(const FactorTerm& t) {
    std::string out = "    " + t.term + ": " + number(t.share * 100) + "% of the total (SS " +
                      number(t.sum_squares) + ", df " + number(t.dof, "%.0f");
    if (t.f && t.p)
        out += ", F " + number(*t.f) + ", p " + number(*t.p);
    out += ")";
    if (t.partial_eta_sq.value || !t.partial_eta_sq.note.empty())
        out += "; " + partial_text(t.partial_eta_sq);
    return out + "\n";
}

} // namespace

std::vector<ComparisonRow> factorial_rows(const std::vector<FactorialAnalysis>& analyses) {
    std::vector<ComparisonRow> rows;
    for (const auto& a : analyses) {
        for (const auto& term : a.terms) {
            if (term.factors.size() > 1 || term.level_effects.empty()) {
                rows.push_back(base_row(a, term));
                continue;
            }
            for (const auto& [level, difference] : term.level_effects) {
                auto row = base_row(a, term);
                row.grid_level = level + " vs " + term.reference_level;
                row.effect = effect_estimate(difference);
                rows.push_back(std::move(row));
            }
        }
        rows.push_back(base_row(a, a.residual));
    }
    return rows;
}

std::string format_factorial(const std::vector<FactorialAnalysis>& analyses) {
    std::ostringstream out;
    for (const auto& a : analyses) {
        out << "  " << a.experiment << " / grid (" << a.domain << ", " << a.machine.label()
            << "): " << a.metric << " over " << a.runs << " runs in " << a.cells << " cells"
            << (a.balanced ? "" : " (unbalanced)") << "\n";
        for (const auto& t : a.terms) {
            out << term_line(t);
            for (const auto& [level, d] : t.level_effects) {
                out << "      " << level << " vs " << t.reference_level << ": "
                    << (d.difference > 0 ? "+" : "") << number(d.difference) << " " << a.unit;
                if (d.ci)
                    out << " [" << number(d.ci->low) << ", " << number(d.ci->high) << "]";
                out << " n=" << d.n_a << "+" << d.n_b
                    << (d.note.empty() ? std::string() : " (" + d.note + ")") << "\n";
            }
        }
        out << term_line(a.residual);
        for (const auto& note : a.notes)
            out << "    note: " << note << "\n";
    }
    return out.str();
}

} // namespace detlab::analysis
