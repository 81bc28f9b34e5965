using Isa.Generators.Tests.Infrastructure;

namespace Isa.Generators.Tests.Diagnostics;

/// <summary>ISA0002 unknown names, ISA0003 type errors and ISA0004 duplicate definitions.</summary>
public sealed class NameAndTypeTests
{
    [Fact]
    public void UnknownScalarRegister() => TestSpec.Expect(
        """insn x : i(op=2) "x" { r[rt] = /*@*/lo; }""", "ISA0002", "unknown name 'lo'");

    [Fact]
    public void UnknownRegisterArrayWrite() => TestSpec.Expect(
        """insn x : i(op=2) "x" { /*@*/fpr[rt] = 0; }""", "ISA0002", "unknown register 'fpr'");

    [Fact]
    public void UnknownRegisterArrayRead() => TestSpec.Expect(
        """insn x : i(op=2) "x" { r[rt] = /*@*/fpr[rs]; }""", "ISA0002", "unknown register 'fpr'");

    [Fact]
    public void UnknownRegisterFileOfField() => TestSpec.Expect(
        "/*@*/field fd = [10:6] : fpr;", "ISA0002", "unknown register file 'fpr'");

    [Fact]
    public void UnknownFieldInPattern() => TestSpec.Expect(
        """insn x = 000010 /*@*/ra rt imm "x" { }""", "ISA0002", "unknown field 'ra'");

    [Fact]
    public void UnknownFieldInSemantics() => TestSpec.Expect(
        """insn x : i(op=2) "x" { r[/*@*/rd] = 0; }""", "ISA0002", "unknown name 'rd'");

    [Fact]
    public void UnknownFormat() => TestSpec.Expect(
        """insn x /*@*/: r3(op=2) "x" { }""", "ISA0002", "unknown format 'r3'");

    [Fact]
    public void UnknownFunction() => TestSpec.Expect(
        """insn x : i(op=2) "x" { r[rt] = /*@*/sign_extend(imm); }""", "ISA0002", "unknown function 'sign_extend'");

    [Fact]
    public void UnknownTypeOfLocal() => TestSpec.Expect(
        """insn x : i(op=2) "x" { let v: /*@*/u128 = 0; }""", "ISA0002", "unknown type 'u128'");

    [Fact]
    public void UnknownTypeOfParameter() => TestSpec.Expect(
        "func f(a: /*@*/word) { }", "ISA0002", "unknown type 'word'");

    [Fact]
    public void UnknownTrapKind() => TestSpec.Expect(
        """insn x : i(op=2) "x" { /*@*/raise oops; }""", "ISA0002", "unknown trap kind 'oops'");

    [Fact]
    public void UnknownBaseIsa()
    {
        MarkedSpec spec = MarkedSpec.Parse("isa /*@*/mips64 : mips32 { endian little \"mips64\"; }");
        GeneratorRun run = GeneratorHarness.Run(("/specs/mips64.isa", spec.Text));
        SpecAssert.NoCrash(run, "an unknown base");
        SpecAssert.Reports(run, "ISA0002", "/specs/mips64.isa", spec.At, "unknown isa 'mips32'");
        Assert.Empty(run.Sources);
    }

    [Fact]
    public void MixingSignedAndUnsigned() => TestSpec.Expect(
        """insn x : i(op=2) "x" { r[rt] = u32(/*@*/sreg + r[rs]); }""", "ISA0003", "mixes s32 and u32");

    [Fact]
    public void ConditionIsNotBool() => TestSpec.Expect(
        """insn x : i(op=2) "x" { if (/*@*/r[rs]) { r[rt] = 0; } }""", "ISA0003", "must be bool", "u32");

    [Fact]
    public void LiteralTooLargeForType() => TestSpec.Expect(
        """insn x : i(op=2) "x" { let v: u8 = /*@*/256; r[rt] = u32(v); }""", "ISA0003", "0x100", "does not fit in u8");

    [Fact]
    public void SignedValueIntoUnsignedRegister() => TestSpec.Expect(
        """insn x : i(op=2) "x" { r[rt] = /*@*/sreg; }""", "ISA0003", "cannot use s32 as u32", "u32(...)");

    [Fact]
    public void WrongArgumentCountOfBuiltin() => TestSpec.Expect(
        """insn x : i(op=2) "x" { r[rt] = /*@*/load32(r[rs], 4); }""", "ISA0003", "'load32' takes 1 arguments, not 2");

    [Fact]
    public void WrongArgumentCountOfFunction() => TestSpec.Expect(
        """
        func twice(a: u32) : u32 { return a + a; }
          insn x : i(op=2) "x" { r[rt] = /*@*/twice(); }
        """, "ISA0003", "'twice' takes 1 arguments, not 0");

    [Fact]
    public void FloatArithmeticWithoutRoundingMode() => TestSpec.Expect(
        """insn x : i(op=2) "x" { let a: f32 = f32_from_bits(r[rs]); r[rt] = bits(/*@*/a * a); }""", "ISA0003", "rounding mode", "fmul");

    [Fact]
    public void FunctionWithoutReturnOnEveryPath() => TestSpec.Expect(
        "func f(a: u32) : u32 /*@*/{ if (a == 0) { return 1; } }", "ISA0003", "does not return a value on every path");

    [Fact]
    public void DuplicateRegister() => TestSpec.Expect(
        "/*@*/register hi : u32;", "ISA0004", "register 'hi' is already defined");

    [Fact]
    public void RegisterNamedPc() => TestSpec.Expect(
        "/*@*/register pc : u32;", "ISA0004", "register 'pc'");

    [Fact]
    public void DuplicateField() => TestSpec.Expect(
        "/*@*/field rs = [25:21];", "ISA0004", "field 'rs' is already defined");

    [Fact]
    public void DuplicateFormat() => TestSpec.Expect(
        "/*@*/format i = op low26;", "ISA0004", "format 'i' is already defined");

    [Fact]
    public void DuplicateInstructionWithoutOverride() => TestSpec.Expect(
        """/*@*/insn addi : i(op=0b000011) "addi" { }""", "ISA0004", "instruction 'addi' is already defined", "override insn");

    [Fact]
    public void InstructionsWhoseCSharpNamesCollide() => TestSpec.Expect(
        """
        insn c.x : i(op=2) "c.x" { }
          /*@*/insn c_x : i(op=3) "c_x" { }
        """, "ISA0004", "'c_x' would have the same C# name", "'c.x'");

    [Fact]
    public void DuplicateFunction() => TestSpec.Expect(
        "func f() { }\n  /*@*/func f() { }", "ISA0004", "function 'f' is already defined");

    [Fact]
    public void DuplicateLocal() => TestSpec.Expect(
        """insn x : i(op=2) "x" { let v: u32 = 1; /*@*/let v: u32 = 2; r[rt] = v; }""", "ISA0004", "'v' is already defined");

    [Fact]
    public void IsaDeclaredInTwoFiles()
    {
        MarkedSpec second = MarkedSpec.Parse("isa /*@*/t { endian little \"t2\"; }");
        GeneratorRun run = GeneratorHarness.Run((TestSpec.Path, TestSpec.With("").Text), ("/specs/u.isa", second.Text));
        SpecAssert.NoCrash(run, "an isa declared twice");
        SpecAssert.Reports(run, "ISA0004", "/specs/u.isa", second.At, "isa 't' is already declared in t.isa");
        Assert.Single(run.Diagnostics);
    }

    [Fact]
    public void IsaDeclaredTwiceInOneFile()
    {
        MarkedSpec spec = MarkedSpec.Parse(TestSpec.Header + "}\nisa /*@*/t { endian little \"t2\"; }\n");
        GeneratorRun run = GeneratorHarness.Run((TestSpec.Path, spec.Text));
        SpecAssert.NoCrash(run, "an isa declared twice");
        SpecAssert.Reports(run, "ISA0004", TestSpec.Path, spec.At, "isa 't' is already declared");
    }

    [Theory]
    [InlineData("my$isa")]
    [InlineData("_1x")]
    public void IsaNameThatIsNoCSharpIdentifier(string name)
    {
        MarkedSpec spec = MarkedSpec.Parse($"isa /*@*/{name} {{ endian little \"x\"; }}");
        GeneratorRun run = GeneratorHarness.Run(("/specs/x.isa", spec.Text));
        SpecAssert.NoCrash(run, "an isa named " + name);
        SpecAssert.Reports(run, "ISA0010", "/specs/x.isa", spec.At, name, "letters, digits and '_'");
        Assert.Empty(run.Sources);
    }

    [Fact]
    public void IsasWhoseCSharpNamesCollide()
    {
        // fooBar and foo_bar would both generate FooBar*.g.cs and namespace Isa.Guests.FooBar.
        MarkedSpec second = MarkedSpec.Parse("isa /*@*/foo_bar { endian little \"fb2\"; }");
        GeneratorRun run = GeneratorHarness.Run(("/specs/a.isa", "isa fooBar { endian little \"fb\"; }"), ("/specs/b.isa", second.Text));
        SpecAssert.NoCrash(run, "isas with colliding C# names");
        SpecAssert.Reports(run, "ISA0004", "/specs/b.isa", second.At, "foo_bar", "fooBar", "FooBar");
    }
}
