using System.Globalization;
using System.Text;

namespace Isa.Cli.Disassembly;

/// <summary>The outcome of comparing our disassembly of a file with objdump's, line by line.</summary>
/// <param name="File">The file compared.</param>
/// <param name="Isa">Our ISA used.</param>
/// <param name="Objdump">The objdump used.</param>
/// <param name="Total">Instruction lines objdump printed.</param>
/// <param name="Identical">Of those, lines where our normalized text is the same.</param>
/// <param name="Groups">The mismatches by objdump mnemonic, most frequent first.</param>
public sealed record ObjdumpComparisonResult(string File, string Isa, string Objdump, long Total, long Identical, IReadOnlyList<MismatchGroup> Groups)
{
    public long Mismatches => Total - Identical;

    /// <summary>Identical lines in percent; 0 when there were no lines.</summary>
    public double Percentage => Total == 0 ? 0 : Identical * 100.0 / Total;

    /// <summary>
    /// The percentage with three decimals, rounded down: "100.000" must mean every line agrees,
    /// not 99.9996 rounded up.
    /// </summary>
    public string FormattedPercentage =>
        (Total == 0 ? 0m : Math.Floor(Identical * 100_000m / Total) / 1000m).ToString("F3", CultureInfo.InvariantCulture);

    /// <summary>True if at least <paramref name="percent"/> of the lines agree, computed exactly.</summary>
    public bool Reaches(double percent) => Total > 0 && Identical * 100.0 >= percent * Total;

    /// <summary>The one-line summary: lines, identical lines, percentage.</summary>
    public string Summary =>
        $"{File}: {Isa} vs {Path.GetFileName(Objdump)}: {Total} lines, {Identical} identical, {FormattedPercentage}%";

    /// <summary>
    /// Several comparisons as one (a corpus of programs): lines added up, mismatch groups of the
    /// same objdump mnemonic combined, each keeping the first example in input order.
    /// </summary>
    public static ObjdumpComparisonResult Merge(string label, IReadOnlyList<ObjdumpComparisonResult> results)
    {
        ArgumentNullException.ThrowIfNull(label);
        ArgumentNullException.ThrowIfNull(results);
        var groups = new Dictionary<string, (long Count, Dictionary<string, long> Ours, Mismatch Example)>(StringComparer.Ordinal);
        foreach (MismatchGroup group in results.SelectMany(result => result.Groups))
        {
            if (!groups.TryGetValue(group.ObjdumpMnemonic, out var merged))
            {
                merged = (0, new Dictionary<string, long>(StringComparer.Ordinal), group.Example);
            }

            foreach ((string ours, long count) in group.OurMnemonics)
            {
                merged.Ours[ours] = merged.Ours.GetValueOrDefault(ours) + count;
            }

            groups[group.ObjdumpMnemonic] = (merged.Count + group.Count, merged.Ours, merged.Example);
        }

        MismatchGroup[] sorted = groups
            .Select(pair => new MismatchGroup(
                pair.Key,
                pair.Value.Count,
                pair.Value.Ours.OrderByDescending(ours => ours.Value).ThenBy(ours => ours.Key, StringComparer.Ordinal).ToArray(),
                pair.Value.Example))
            .OrderByDescending(group => group.Count)
            .ThenBy(group => group.ObjdumpMnemonic, StringComparer.Ordinal)
            .ToArray();
        return new ObjdumpComparisonResult(
            label,
            string.Join(",", results.Select(result => result.Isa).Distinct()),
            string.Join(",", results.Select(result => Path.GetFileName(result.Objdump)).Distinct()),
            results.Sum(result => result.Total),
            results.Sum(result => result.Identical),
            sorted);
    }

    /// <summary>
    /// The summary, then the <paramref name="groups"/> largest mismatch groups, each with what we
    /// printed instead and one example line.
    /// </summary>
    public string Describe(int groups)
    {
        var text = new StringBuilder();
        text.AppendLine(Summary);
        if (groups <= 0 || Groups.Count == 0)
        {
            return text.ToString();
        }

        int shown = Math.Min(groups, Groups.Count);
        text.AppendLine(CultureInfo.InvariantCulture, $"mismatches by objdump mnemonic: {Mismatches} lines in {Groups.Count} mnemonics, largest {shown}:");
        int width = Groups.Take(shown).Max(group => group.ObjdumpMnemonic.Length);
        foreach (MismatchGroup group in Groups.Take(shown))
        {
            string ours = string.Join(", ", group.OurMnemonics.Take(3).Select(pair => pair.Value == group.Count ? pair.Key : $"{pair.Key} {pair.Value}"));
            if (group.OurMnemonics.Count > 3)
            {
                ours += $", ... ({group.OurMnemonics.Count} kinds)";
            }

            Mismatch example = group.Example;
            string where = example.File == File ? example.Section : $"{example.File} {example.Section}";
            text.AppendLine(CultureInfo.InvariantCulture, $"  {(group.ObjdumpMnemonic + ":").PadRight(width + 1)} {group.Count,7} (ours: {ours})");
            text.AppendLine(CultureInfo.InvariantCulture, $"  {"".PadRight(width + 1)}    e.g. {where} {example.Address:x}: {example.Word:x8}  objdump: {example.Objdump}  ours: {example.Ours}");
        }

        return text.ToString();
    }
}
