using Isa.Generators.Tests.Infrastructure;

namespace Isa.Generators.Tests.Diagnostics;

/// <summary>ISA0001: the parser reports each syntax error at its token and recovers at the next member.</summary>
public sealed class SyntaxErrorTests
{
    [Fact]
    public void MissingSemicolonInSemantics() => TestSpec.Expect(
        """insn x : i(op=2) "x" { r[rt] = 1 /*@*/} """, "ISA0001", "expected ';'", "'}'");

    [Fact]
    public void MissingSemicolonAfterRegister() => TestSpec.Expect(
        "register a : u32\n  /*@*/register b : u32;", "ISA0001", "expected ';'", "'register'");

    [Fact]
    public void MissingSemicolonAfterSetting() => TestSpec.Expect(
        "insn_bits 32\n  /*@*/field x = [3:0];", "ISA0001", "expected ';'", "'field'");

    [Fact]
    public void UnterminatedSyntaxString() => TestSpec.Expect(
        """insn x : i(op=2) /*@*/"x {rt} { r[rt] = 1; }""", "ISA0001", "unterminated string");

    [Fact]
    public void UnterminatedStringInSetting() => TestSpec.Expect(
        """description /*@*/"an isa;""", "ISA0001", "unterminated string");

    [Fact]
    public void UnexpectedCharacterInExpression() => TestSpec.Expect(
        """insn x : i(op=2) "x" { r[rt] = /*@*/# 1; }""", "ISA0001", "unexpected character '#'");

    [Fact]
    public void UnexpectedCharacterBetweenMembers() => TestSpec.Expect(
        "/*@*/` register b : u32;", "ISA0001", "unexpected character '`'");

    [Fact]
    public void BadPatternBits() => TestSpec.Expect(
        """insn x = /*@*/000012 rs rt imm "x" { }""", "ISA0001", "pattern bits", "000012");

    [Fact]
    public void UnclosedBlockAtEndOfFile()
    {
        MarkedSpec spec = MarkedSpec.Parse(TestSpec.Header + """  insn x : i(op=2) "x" /*@*/{ if (r[rs] == 0) { r[rt] = 1; }""");
        GeneratorRun run = GeneratorHarness.Run((TestSpec.Path, spec.Text));
        SpecAssert.NoCrash(run, "an unclosed block");
        SpecAssert.Reports(run, "ISA0001", TestSpec.Path, spec.At, "'{' is never closed");
        SpecAssert.Reports(run, "ISA0001", TestSpec.Path, TestSpec.EndOf(spec.Text), "missing '}'", "isa t");
        Assert.Empty(run.Sources);
    }

    [Fact]
    public void UnclosedIsa()
    {
        string text = TestSpec.Header;
        GeneratorRun run = GeneratorHarness.Run((TestSpec.Path, text));
        SpecAssert.NoCrash(run, "an unclosed isa");
        SpecAssert.Reports(run, "ISA0001", TestSpec.Path, TestSpec.EndOf(text), "missing '}'", "isa t");
    }

    [Fact]
    public void ErrorsAfterASyntaxErrorAreStillReported()
    {
        // The first error is at the '}' that closes x's semantics: recovery must not take it for the isa's.
        MarkedSpec spec = TestSpec.With("""
              insn x : i(op=2) "x" { r[rt] = 1 /*@*/}
              insn y : i(op=3) "y" { if (r[rs] == 0) { r[rt] = 1 /*@*/} }
              register /*@*/9 : u32;
              insn z : i(op=4) "z" { r[rt] = /*@*/; }
              alias w = addi when /*@*/"w";
              test addi(rt=1) { r[1] = 2; } => { r[1] = /*@*/; }
            """);
        GeneratorRun run = GeneratorHarness.Run((TestSpec.Path, spec.Text));
        SpecAssert.NoCrash(run, "a spec with several syntax errors");
        foreach (Microsoft.CodeAnalysis.Text.LinePosition at in spec.Markers)
        {
            SpecAssert.Reports(run, "ISA0001", TestSpec.Path, at);
        }

        Assert.Equal(spec.Markers.Count, run.Diagnostics.Length);
        Assert.Empty(run.Sources);
    }

    [Fact]
    public void SecondIsaInAFileIsParsedAfterAnError()
    {
        MarkedSpec spec = MarkedSpec.Parse(TestSpec.Header + """
              insn x : i(op=2) "x" { r[rt] = /*@*/; }
            }
            isa u : t {
              insn y : i(op=3) "y" { r[rt] = /*@*/; }
            }
            """);
        GeneratorRun run = GeneratorHarness.Run((TestSpec.Path, spec.Text));
        SpecAssert.NoCrash(run, "two isas with syntax errors");
        SpecAssert.Reports(run, "ISA0001", TestSpec.Path, spec.Markers[0], "expected an expression");
        SpecAssert.Reports(run, "ISA0001", TestSpec.Path, spec.Markers[1], "expected an expression");
    }
}
