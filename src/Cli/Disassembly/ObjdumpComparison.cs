using System.Globalization;

namespace Isa.Cli.Disassembly;

/// <summary>
/// Compares our disassembly with GNU objdump's, address by address: for every instruction line
/// objdump prints, our text for the same word at the same address, both normalized by
/// <see cref="ObjdumpListing.Normalize"/>. The spec is right when the two agree everywhere.
/// </summary>
public static class ObjdumpComparison
{
    /// <summary>What we print when the ISA has no disassembly for the word.</summary>
    public const string NoDisassembly = "<null>";

    /// <summary>Runs <paramref name="objdumpPath"/> on the image's file and compares.</summary>
    /// <exception cref="Commands.CommandException">objdump failed.</exception>
    public static ObjdumpComparisonResult Run(CodeImage image, string objdumpPath)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(objdumpPath);
        IEnumerable<string> output = ObjdumpTool.Disassemble(objdumpPath, image.Path);
        return Compare(image, ObjdumpFlavor.For(image.Isa), objdumpPath, ObjdumpListing.Parse(output));
    }

    /// <summary>Compares the image with objdump lines already parsed (tests feed them directly).</summary>
    public static ObjdumpComparisonResult Compare(CodeImage image, ObjdumpFlavor flavor, string objdumpName, IEnumerable<ObjdumpLine> objdumpLines)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(flavor);
        ArgumentNullException.ThrowIfNull(objdumpLines);
        var renderer = new ObjdumpRenderer(image, flavor);
        var groups = new Dictionary<string, GroupBuilder>(StringComparer.Ordinal);
        long total = 0;
        long identical = 0;
        CodeRegion? region = null;
        foreach (ObjdumpLine line in objdumpLines)
        {
            total++;
            if (region is null || region.Name != line.Section)
            {
                region = image.FindRegion(line.Section);
            }

            string theirs = line.NormalizedText;
            (string ours, string? problem) = Ours(renderer, region, line);
            if (ours == theirs)
            {
                identical++;
                continue;
            }

            string mnemonic = ObjdumpListing.Mnemonic(theirs);
            if (!groups.TryGetValue(mnemonic, out GroupBuilder? group))
            {
                group = new GroupBuilder(new Mismatch(image.Path, line.Section, line.Address, line.Word, theirs, ours));
                groups.Add(mnemonic, group);
            }

            group.Add(problem ?? OurMnemonic(ours, flavor));
        }

        MismatchGroup[] sorted = groups
            .Select(pair => pair.Value.Build(pair.Key))
            .OrderByDescending(group => group.Count)
            .ThenBy(group => group.ObjdumpMnemonic, StringComparer.Ordinal)
            .ToArray();
        return new ObjdumpComparisonResult(image.Path, image.Isa.Name, objdumpName, total, identical, sorted);
    }

    /// <summary>
    /// Our normalized text for the line's address; when we have none, a description instead and
    /// the kind of problem, which is what the mismatch counts as.
    /// </summary>
    private static (string Text, string? Problem) Ours(ObjdumpRenderer renderer, CodeRegion? region, ObjdumpLine line)
    {
        if (region is null || !region.Contains(line.Address))
        {
            return ($"<no executable section {line.Section} at this address>", "<not in our sections>");
        }

        if (region.WordAt(renderer.Image.Isa, line.Address) is not ulong word)
        {
            return ("<partial word>", "<partial word>");
        }

        // A different word means we read the wrong bytes (byte order, section mapping), not a spec problem.
        if (word != line.Word)
        {
            return ($"<we read 0x{word.ToString("x", CultureInfo.InvariantCulture)}>", "<different word>");
        }

        return (ObjdumpListing.Normalize(renderer.Instruction(region, word, line.Address, labelTargets: false)), null);
    }

    /// <summary>How a mismatch counts on our side: our mnemonic, or <see cref="NoDisassembly"/> for an undecodable word.</summary>
    private static string OurMnemonic(string ours, ObjdumpFlavor flavor)
    {
        string mnemonic = ObjdumpListing.Mnemonic(ours);
        return mnemonic == flavor.UnknownWordDirective ? NoDisassembly : mnemonic;
    }

    private sealed class GroupBuilder(Mismatch example)
    {
        private readonly Dictionary<string, long> _ours = new(StringComparer.Ordinal);
        private long _count;

        public void Add(string ourMnemonic)
        {
            _count++;
            _ours[ourMnemonic] = _ours.GetValueOrDefault(ourMnemonic) + 1;
        }

        public MismatchGroup Build(string objdumpMnemonic) => new(
            objdumpMnemonic,
            _count,
            _ours.OrderByDescending(pair => pair.Value).ThenBy(pair => pair.Key, StringComparer.Ordinal).ToArray(),
            example);
    }
}
