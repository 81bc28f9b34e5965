using System.Text;
using System.Text.RegularExpressions;
using Isa.Cli.Commands;
using Isa.Cli.Disassembly;
using Isa.Runtime.Cpu;
using Isa.Runtime.Loaders.Elf;

namespace Isa.Tests.Disassembly;

/// <summary>
/// The spec's disassembly against GNU objdump on real programs: Debian's busybox and the C corpus
/// of every target. Each must agree on at least 99.9% of the lines; a failure lists the objdump
/// mnemonics with the most mismatches, which is the spec writer's to-do list. Missing programs
/// or tools fail (never skip) with the command that installs them.
/// </summary>
[Trait("Requires", "deps")]
[Trait("Category", "Agreement")]
public sealed partial class ObjdumpAgreementTests
{
    private const double RequiredPercentage = 99.9;

    private const int GroupsInFailure = 15;

    [Fact]
    public void BusyboxAgrees() => AssertAgreement("busybox", [DepsFiles.Busybox]);

    [Theory]
    [MemberData(nameof(DepsFiles.CorpusTargets), MemberType = typeof(DepsFiles))]
    public void CorpusTargetAgrees(string target) => AssertAgreement(target, DepsFiles.CorpusPrograms(target));

    /// <summary>
    /// Our whole listing is objdump's, line for line (header, labels, symbols, skipped zeros),
    /// except the file-format line and the comments RISC-V objdump appends.
    /// </summary>
    [Fact]
    public void BusyboxListingIsObjdumps() => AssertSameListing(DepsFiles.Busybox);

    [Theory]
    [MemberData(nameof(DepsFiles.CorpusTargets), MemberType = typeof(DepsFiles))]
    public void CorpusListingIsObjdumps(string target) =>
        AssertSameListing(DepsFiles.CorpusPrograms(target).Single(path => Path.GetFileName(path) == "hello"));

    private static void AssertAgreement(string what, IReadOnlyList<string> files)
    {
        ObjdumpComparisonResult[] results = files.Select(file => Prepare(file, (image, objdump) => ObjdumpComparison.Run(image, objdump))).ToArray();
        Assert.All(results, result => Assert.True(result.Total > 0, $"{result.File}: objdump printed no instructions"));
        ObjdumpComparisonResult total = results.Length == 1 ? results[0] : ObjdumpComparisonResult.Merge($"{what} ({results.Length} programs)", results);
        if (total.Reaches(RequiredPercentage))
        {
            return;
        }

        var message = new StringBuilder();
        message.AppendLine($"{what}: {total.FormattedPercentage}% of objdump's lines agree, {RequiredPercentage}% required");
        message.Append(total.Describe(GroupsInFailure));
        foreach (ObjdumpComparisonResult result in results.Where(result => results.Length > 1 && !result.Reaches(RequiredPercentage)))
        {
            message.AppendLine($"  below: {result.Summary}");
        }

        Assert.Fail(message.ToString());
    }

    private static void AssertSameListing(string file)
    {
        (string[] ours, string[] theirs) = Prepare(file, (image, objdump) =>
        {
            var listing = new StringWriter { NewLine = "\n" };
            ObjdumpListingWriter.Write(new ObjdumpRenderer(image, ObjdumpFlavor.For(image.Isa)), listing);
            string[] ourLines = [.. WithoutHeader(listing.ToString().Split('\n'))];
            string[] objdumpLines = [.. WithoutHeader(ObjdumpTool.Disassemble(objdump, image.Path)).Select(line => Comment().Replace(line, ""))];
            return (ourLines, objdumpLines);
        });

        string[] differences = Enumerable.Range(0, Math.Max(ours.Length, theirs.Length))
            .Where(i => i >= ours.Length || i >= theirs.Length || ours[i] != theirs[i])
            .Take(10)
            .Select(i => $"line {i + 3}:\n    objdump: {(i < theirs.Length ? theirs[i] : "<end>")}\n    ours:    {(i < ours.Length ? ours[i] : "<end>")}")
            .ToArray();
        Assert.True(differences.Length == 0, $"{file}: our listing differs from objdump -d ({ours.Length} vs {theirs.Length} lines); first differences:\n  {string.Join("\n  ", differences)}");
    }

    /// <summary>Loads the file, picks its ISA and objdump as the CLI does, and turns their user errors into test failures.</summary>
    private static T Prepare<T>(string file, Func<CodeImage, string, T> use)
    {
        try
        {
            ElfFile elf = ElfFile.Load(file);
            GuestIsa isa = IsaSelection.ForElf(elf);
            string objdump = ObjdumpTool.Locate(ObjdumpFlavor.For(isa), explicitPath: null, isa.Name);
            return use(CodeImage.FromElf(elf, isa), objdump);
        }
        catch (CommandException problem)
        {
            throw new Xunit.Sdk.XunitException($"{file}: {problem.Message}");
        }
    }

    /// <summary>The listing after its "FILE:     file format ..." line, without trailing blank lines.</summary>
    private static IEnumerable<string> WithoutHeader(IEnumerable<string> lines)
    {
        string[] all = [.. lines.Skip(2)];
        int end = all.Length;
        while (end > 0 && all[end - 1].Length == 0)
        {
            end--;
        }

        return all[..end];
    }

    /// <summary>RISC-V objdump's " # 12f34 &lt;msg+0x24&gt;" notes on resolved addresses, which we do not print.</summary>
    [GeneratedRegex(@" # .*$")]
    private static partial Regex Comment();
}
