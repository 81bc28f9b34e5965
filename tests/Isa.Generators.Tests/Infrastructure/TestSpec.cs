using Microsoft.CodeAnalysis.Text;

namespace Isa.Generators.Tests.Infrastructure;

/// <summary>
/// A small valid ISA, <c>t</c>, that diagnostics tests add members to. Its members are on separate
/// lines so that an added member's position is easy to read in a failure message.
/// </summary>
internal static class TestSpec
{
    public const string Path = "/specs/t.isa";

    public const string Header = """
        isa t {
          endian little "t";
          register r[32] : u32;
          register hi : u32;
          register sreg : s32;
          field op = [31:26];
          field rs = [25:21] : r;
          field rt = [20:16] : r;
          field imm = [15:0];
          field simm = [15:0] signed;
          field low26 = [25:0];
          format i = op rs rt imm;
          insn addi : i(op=0b000001) "addi {rt}, {rs}, {simm}" { r[rt] = r[rs] + u32(simm); }
          test addi(rt=2, rs=1, imm=0xffff) "addi r2, r1, -1" { r[1] = 1; } => { r[2] = 0; }

        """;

    /// <summary><see cref="Header"/>, then <paramref name="markedMembers"/>, then the closing brace.</summary>
    public static MarkedSpec With(string markedMembers) => MarkedSpec.Parse(Header + markedMembers + "\n}\n");

    /// <summary>Runs the generator on t with <paramref name="markedMembers"/> and expects diagnostic <paramref name="id"/> at the marker.</summary>
    public static GeneratorRun Expect(string markedMembers, string id, params string[] words)
    {
        MarkedSpec spec = With(markedMembers);
        GeneratorRun run = GeneratorHarness.Run((Path, spec.Text));
        SpecAssert.NoCrash(run, "an invalid spec");
        SpecAssert.Reports(run, id, Path, spec.At, words);
        Assert.Empty(run.Sources);
        return run;
    }

    public static LinePosition EndOf(string text)
    {
        string[] lines = text.Split('\n');
        return new LinePosition(lines.Length - 1, lines[^1].Length);
    }
}
