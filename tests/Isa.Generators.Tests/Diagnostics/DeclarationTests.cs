using Isa.Generators.Tests.Infrastructure;

namespace Isa.Generators.Tests.Diagnostics;

/// <summary>ISA0009 assembly syntax, ISA0010 settings, ISA0011 test vectors and ISA0012 extensions.</summary>
public sealed class DeclarationTests
{
    [Fact]
    public void UnclosedBraceInSyntax() => TestSpec.Expect(
        """insn x : i(op=2) /*@*/"x {rt, {rs}" { }""", "ISA0009", "unclosed '{'", "'x'");

    [Fact]
    public void UnknownOperandFormat() => TestSpec.Expect(
        """insn x : i(op=2) /*@*/"x {rt:hex}" { }""", "ISA0009", "unknown operand format 'hex'");

    [Fact]
    public void NonIntegerPlaceholder() => TestSpec.Expect(
        """insn x : i(op=2) /*@*/"x {rt == rs}" { }""", "ISA0009", "{rt == rs}", "not an integer");

    [Fact]
    public void MalformedPlaceholderExpression() => TestSpec.Expect(
        """insn x : i(op=2) /*@*/"x {rt +}" { }""", "ISA0009", "placeholder '{rt +}'");

    [Fact]
    public void UnknownNameInPlaceholderIsReportedInsideTheString() => TestSpec.Expect(
        """insn x : i(op=2) "x {rt}, {imm + /*@*/nosuch:x}" { }""", "ISA0002", "unknown name 'nosuch'");

    [Fact]
    public void AliasWithMalformedSyntax() => TestSpec.Expect(
        """alias mv = addi when imm == 0 /*@*/"mv {rt:q}";""", "ISA0009", "unknown operand format 'q'");

    [Fact]
    public void UnknownSetting() => TestSpec.Expect(
        "/*@*/colour blue;", "ISA0010", "unknown setting 'colour'");

    [Fact]
    public void BadEndian() => TestSpec.Expect(
        """/*@*/endian middle "t";""", "ISA0010", "endian little");

    [Theory]
    [InlineData("\"\"")]
    [InlineData("\"1x\"")]
    [InlineData("\"t t\"")]
    [InlineData("\"t\", big \"t\"")]
    public void BadByteOrderName(string names) => TestSpec.Expect(
        $"/*@*/endian little {names};", "ISA0010", "byte-order name");

    [Fact]
    public void BadInstructionWidth() => TestSpec.Expect(
        "/*@*/insn_bits 24;", "ISA0010", "invalid value for 'insn_bits'");

    [Fact]
    public void MissingEndian()
    {
        MarkedSpec spec = MarkedSpec.Parse("/*@*/isa bare { register r : u32; }");
        GeneratorRun run = GeneratorHarness.Run(("/specs/bare.isa", spec.Text));
        SpecAssert.NoCrash(run, "an isa without endian");
        SpecAssert.Reports(run, "ISA0010", "/specs/bare.isa", spec.At, "needs an 'endian' setting");
    }

    [Fact]
    public void TestOfUnknownInstruction() => TestSpec.Expect(
        "test /*@*/subi(rt=1) { } => { }", "ISA0011", "unknown instruction 'subi'");

    [Fact]
    public void TestValueNotEncodable() => TestSpec.Expect(
        "test addi(/*@*/imm=0x10000) { } => { }", "ISA0011", "65536 cannot be encoded in field 'imm'");

    [Fact]
    public void TestBindsAFixedField() => TestSpec.Expect(
        "test addi(/*@*/op=1) { } => { }", "ISA0011", "'addi' has no operand field 'op'");

    [Fact]
    public void TestSetsSomethingThatIsNotState() => TestSpec.Expect(
        "test addi(rt=1) { } => { /*@*/lo = 1; }", "ISA0011", "registers, pc and memN[address]");

    [Fact]
    public void TestSetsARegisterOutsideItsFile() => TestSpec.Expect(
        "test addi(rt=1) { /*@*/r[32] = 1; } => { }", "ISA0011", "r has elements 0 to 31");

    [Fact]
    public void TestExpectsUnknownTrap() => TestSpec.Expect(
        "/*@*/test addi(rt=1) { } => raise oops;", "ISA0011", "unknown trap kind 'oops'");

    [Fact]
    public void OverrideOfNothing() => TestSpec.Expect(
        """/*@*/override insn subi : i(op=2) "subi" { }""", "ISA0012", "replaces nothing");

    [Fact]
    public void RemoveOfUnknownInstruction()
    {
        MarkedSpec derived = MarkedSpec.Parse("isa u : t {\n  endian little \"u\";\n  remove addi, /*@*/subi;\n}\n");
        GeneratorRun run = GeneratorHarness.Run((TestSpec.Path, TestSpec.With("").Text), ("/specs/u.isa", derived.Text));
        SpecAssert.NoCrash(run, "a remove of nothing");
        SpecAssert.Reports(run, "ISA0012", "/specs/u.isa", derived.At, "cannot remove 'subi'");
        Assert.Single(run.Diagnostics);
        Assert.DoesNotContain("U.Isa.g.cs", run.HintNames);
        Assert.Contains("T.Isa.g.cs", run.HintNames);
    }

    [Fact]
    public void CyclicExtension()
    {
        MarkedSpec spec = MarkedSpec.Parse("isa /*@*/a : b { endian little \"a\"; }\nisa /*@*/b : a { endian little \"b\"; }\n");
        GeneratorRun run = GeneratorHarness.Run(("/specs/ab.isa", spec.Text));
        SpecAssert.NoCrash(run, "a cycle of extensions");
        SpecAssert.Reports(run, "ISA0012", "/specs/ab.isa", spec.Markers[0], "'a' extends itself");
        SpecAssert.Reports(run, "ISA0012", "/specs/ab.isa", spec.Markers[1], "'b' extends itself");
        Assert.Empty(run.Sources);
    }

    [Fact]
    public void IsaExtendingItself()
    {
        MarkedSpec spec = MarkedSpec.Parse("isa /*@*/a : a { endian little \"a\"; }\n");
        GeneratorRun run = GeneratorHarness.Run(("/specs/a.isa", spec.Text));
        SpecAssert.NoCrash(run, "an isa extending itself");
        SpecAssert.Reports(run, "ISA0012", "/specs/a.isa", spec.At, "extends itself");
    }
}
