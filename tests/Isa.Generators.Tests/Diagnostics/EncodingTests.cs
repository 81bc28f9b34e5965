using Isa.Generators.Tests.Infrastructure;

namespace Isa.Generators.Tests.Diagnostics;

/// <summary>ISA0005 ambiguous encodings, ISA0006 malformed encodings, ISA0007 fields that do not fit, ISA0008 missing semantics.</summary>
public sealed class EncodingTests
{
    [Fact]
    public void TwoInstructionsWithTheSameEncoding() => TestSpec.Expect(
        """/*@*/insn twin : i(op=0b000001) "twin" { }""", "ISA0005", "'twin' has the same encoding as 'addi'");

    [Fact]
    public void OverlappingEncodingsWhereNeitherIsMoreSpecific() => TestSpec.Expect(
        """
        field top26 = [31:6];
          insn high = 000010 low26 "high" { }
          /*@*/insn low = top26 000010 "low" { }
        """, "ISA0005", "'low' and", "neither is more specific");

    [Fact]
    public void MoreSpecificEncodingMayRefineABroaderOne()
    {
        MarkedSpec spec = TestSpec.With("""
              insn broad = 000010 low26 "broad {low26:x}" { r[1] = low26[25:0] == 0 ? 1 : 2; }
              insn narrow = 000010 00000 rt imm "narrow {rt}, {imm}" { r[rt] = u32(imm); }
              test narrow(rt=3, imm=7) "narrow r3, 7" { } => { r[3] = 7; }
            """);
        GeneratorRun run = GeneratorHarness.Run((TestSpec.Path, spec.Text));
        SpecAssert.Compiles(run);
        string decoder = run.Source("T.Decoder.g.cs");
        Assert.True(decoder.IndexOf("TOpcode.narrow", StringComparison.Ordinal) < decoder.IndexOf("TOpcode.broad;", StringComparison.Ordinal),
            "the decoder must try the more specific pattern first:\n" + decoder);
    }

    [Fact]
    public void PatternOf31Bits() => TestSpec.Expect(
        """insn short /*@*/= 000010 rs rt 000000000000000 "short" { }""", "ISA0006", "31 bits long", "32 bits");

    [Fact]
    public void FieldAtTheWrongPosition() => TestSpec.Expect(
        """insn swapped = 000010 /*@*/rt rs imm "swapped" { }""", "ISA0006", "field 'rt' is bits [20:16]", "bit 25");

    [Fact]
    public void ScatteredFieldNamedInAPattern() => TestSpec.Expect(
        """
        field split = [31:26] [5:0];
          insn x = /*@*/split rs rt .......... "x" { }
        """, "ISA0006", "'split' is not one bit range", "'.'");

    [Fact]
    public void SemanticsUseAFieldThatOverlapsFixedBits() => TestSpec.Expect(
        """insn x = 000010 rs rt imm "x" { r[rt] = u32(/*@*/op); }""", "ISA0006", "field 'op' overlaps fixed bits");

    [Fact]
    public void FieldBeyondTheInstructionWidth() => TestSpec.Expect(
        "/*@*/field wide = [32:28];", "ISA0007", "[32:28]", "32-bit instruction");

    [Fact]
    public void FieldTooWideToIndexItsRegisterFile() => TestSpec.Expect(
        "/*@*/field big = [25:20] : r;", "ISA0007", "6 bits wide", "r[32]");

    [Fact]
    public void BindingValueTooLarge() => TestSpec.Expect(
        """insn x : i(op=2, /*@*/rs=32) "x" { }""", "ISA0007", "32 does not fit field 'rs'", "5 bits");

    [Fact]
    public void BindingOfAFieldTheFormatLacks() => TestSpec.Expect(
        """insn x : i(op=2, /*@*/rd=1) "x" { }""", "ISA0002", "format 'i' has no field 'rd'");

    [Fact]
    public void InstructionWithoutSemantics() => TestSpec.Expect(
        """insn x : i(op=2) "x" /*@*/;""", "ISA0008", "'x' has no semantics", "'{'");

    [Fact]
    public void InstructionWithoutSemanticsBeforeTheNextMember() => TestSpec.Expect(
        "insn x : i(op=2) \"x\"\n  /*@*/insn y : i(op=3) \"y\" { }", "ISA0008", "'x' has no semantics");
}
