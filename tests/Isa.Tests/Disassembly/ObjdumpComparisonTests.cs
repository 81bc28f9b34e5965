using System.Buffers.Binary;
using Isa.Cli.Disassembly;
using Isa.Guests;
using Isa.Runtime.Cpu;

namespace Isa.Tests.Disassembly;

/// <summary>
/// The comparison on hand-made objdump lines, so every kind of agreement and disagreement is
/// seen to be counted and grouped as it should, whatever state the specs are in.
/// </summary>
public sealed class ObjdumpComparisonTests
{
    private const ulong Base = 0x400000;

    private static readonly GuestIsa Mips = IsaCatalog.Find("mips32el")!;

    [Fact]
    public void IdenticalAndDifferentLinesAreCountedAndGrouped()
    {
        ulong known = 0x27bdffe0; // addiu sp,sp,-32
        ulong unknown = UndecodableWord(Mips);
        CodeImage image = RawImage(Mips, known, known, unknown, unknown);
        string ours = Mips.Disassemble(known, Base)!;
        ObjdumpLine[] lines =
        [
            new(".data", Base, known, ours), // the same text
            new(".data", Base + 4, known, "frob\tsp,sp,-32 <sym>"), // objdump says something else
            new(".data", Base + 8, unknown, $".word\t0x{unknown:x}"), // neither decodes: agreement
            new(".data", Base + 12, unknown, "lwl\ta0,3(a1)"), // we do not decode what objdump does
            new(".data", Base, known + 1, ours), // objdump saw another word: we read the wrong bytes
            new(".data", Base + 16, 0, "nop"), // past our section
            new(".other", Base, known, ours), // a section we do not have
        ];

        ObjdumpComparisonResult result = ObjdumpComparison.Compare(image, ObjdumpFlavor.For(Mips), "objdump", lines);

        Assert.Equal(7, result.Total);
        Assert.Equal(2, result.Identical);
        Assert.Equal("28.571", result.FormattedPercentage);
        MismatchGroup lwl = Assert.Single(result.Groups, group => group.ObjdumpMnemonic == "lwl");
        Assert.Equal(ObjdumpComparison.NoDisassembly, Assert.Single(lwl.OurMnemonics).Key);
        Assert.Equal(new Mismatch(image.Path, ".data", Base + 12, unknown, "lwl a0,3(a1)", $".word 0x{unknown:x}"), lwl.Example);
        MismatchGroup frob = Assert.Single(result.Groups, group => group.ObjdumpMnemonic == "frob");
        Assert.Equal("addiu", Assert.Single(frob.OurMnemonics).Key);
        Assert.Equal("frob sp,sp,-32", frob.Example.Objdump);
        Assert.Equal("addiu sp,sp,-32", frob.Example.Ours);
        Assert.Equal([("<different word>", 1L), ("<not in our sections>", 1L)], Group(result, "addiu"));
        Assert.Equal([("<not in our sections>", 1L)], Group(result, "nop"));
    }

    [Fact]
    public void GroupsAreOrderedByCountAndDescribed()
    {
        ulong unknown = UndecodableWord(Mips);
        CodeImage image = RawImage(Mips, unknown, unknown, unknown);
        ObjdumpLine[] lines =
        [
            new(".data", Base, unknown, "lwr\ta0,0(a1)"),
            new(".data", Base + 4, unknown, "lwl\ta0,3(a1)"),
            new(".data", Base + 8, unknown, "lwl\ta0,7(a1)"),
        ];

        ObjdumpComparisonResult result = ObjdumpComparison.Compare(image, ObjdumpFlavor.For(Mips), "/usr/bin/mipsel-linux-gnu-objdump", lines);
        string report = result.Describe(groups: 1);

        Assert.Equal(["lwl", "lwr"], result.Groups.Select(group => group.ObjdumpMnemonic));
        Assert.Equal(2, result.Groups[0].Count);
        Assert.Equal("raw.bin: mips32el vs mipsel-linux-gnu-objdump: 3 lines, 0 identical, 0.000%", result.Summary);
        Assert.Contains("lwl:       2 (ours: <null>)", report, StringComparison.Ordinal);
        Assert.Contains($"e.g. .data 400004: {unknown:x8}  objdump: lwl a0,3(a1)  ours: .word 0x{unknown:x}", report, StringComparison.Ordinal);
        Assert.DoesNotContain("lwr", report, StringComparison.Ordinal);
    }

    [Fact]
    public void MergeAddsUpFilesAndCombinesGroups()
    {
        ulong unknown = UndecodableWord(Mips);
        CodeImage image = RawImage(Mips, unknown, 0);
        ObjdumpLine[] lines = [new(".data", Base, unknown, "lwl\ta0,3(a1)"), new(".data", Base + 4, 0, "nop")];
        ObjdumpComparisonResult one = ObjdumpComparison.Compare(image, ObjdumpFlavor.For(Mips), "objdump", lines);

        ObjdumpComparisonResult total = ObjdumpComparisonResult.Merge("total", [one, one, one]);

        Assert.Equal(6, total.Total);
        Assert.Equal(3, total.Identical);
        Assert.Equal("50.000", total.FormattedPercentage);
        MismatchGroup lwl = Assert.Single(total.Groups);
        Assert.Equal(3, lwl.Count);
        Assert.Equal([new KeyValuePair<string, long>(ObjdumpComparison.NoDisassembly, 3)], lwl.OurMnemonics);
    }

    [Theory]
    [InlineData(3, 2, "66.666")]
    [InlineData(1_000_000, 999_999, "99.999")]
    [InlineData(10_000_000, 9_999_999, "99.999")] // 99.99999: rounded down, never shown as 100
    [InlineData(5, 5, "100.000")]
    [InlineData(0, 0, "0.000")]
    public void PercentageIsRoundedDown(long total, long identical, string formatted)
    {
        var result = new ObjdumpComparisonResult("f", "isa", "objdump", total, identical, []);

        Assert.Equal(formatted, result.FormattedPercentage);
        Assert.Equal(total > 0 && identical * 1000 >= total * 999, result.Reaches(99.9));
    }

    /// <summary>The words as a little-endian raw binary at <see cref="Base"/>.</summary>
    private static CodeImage RawImage(GuestIsa isa, params ulong[] words)
    {
        byte[] bytes = new byte[words.Length * 4];
        for (int i = 0; i < words.Length; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 4), (uint)words[i]);
        }

        return CodeImage.FromRaw("raw.bin", bytes, isa, Base);
    }

    /// <summary>A word the ISA does not decode, found rather than assumed so spec growth cannot invalidate it.</summary>
    private static ulong UndecodableWord(GuestIsa isa)
    {
        for (ulong word = 0xffffffff; word > 0xff000000; word--)
        {
            if (isa.Decode(word) < 0)
            {
                return word;
            }
        }

        throw new InvalidOperationException($"{isa.Name} decodes every word tried");
    }

    private static (string Ours, long Count)[] Group(ObjdumpComparisonResult result, string objdumpMnemonic) =>
        result.Groups.Where(group => group.ObjdumpMnemonic == objdumpMnemonic)
            .SelectMany(group => group.OurMnemonics)
            .Select(pair => (pair.Key, pair.Value))
            .ToArray();
}
