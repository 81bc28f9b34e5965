using Isa.Generators.Tests.Infrastructure;

namespace Isa.Generators.Tests.Diagnostics;

/// <summary>x64 templates (<c>x64 insn writes(...) { ... }</c>): what the generator accepts, and ISA0013 for the rest.</summary>
public sealed class HostTemplateTests
{
    [Fact]
    public void AValidTemplateCompilesToIcedCodesWithTheSpecLineBeside()
    {
        GeneratorRun run = GeneratorHarness.Run((TestSpec.Path, TestSpec.With("x64 addi writes(rt) { mov {rt}, {rs}; add {rt}, {simm}; }").Text));
        SpecAssert.Compiles(run);
        string jit = run.Source("T.Jit.g.cs");
        Assert.Contains("Mov_rm32_r32", jit);
        Assert.Contains("Add_rm32_imm32", jit);
        Assert.Contains("HostFeatures.None", jit);
        Assert.Contains("// add {rt}, {simm}", jit);
        Assert.Contains("if (jit.Supports(X64_addi))", jit);
    }

    [Fact]
    public void ARegisterReadBeforeItIsWrittenIsPreloadedAndSmallImmediatesGetShortForms()
    {
        GeneratorRun run = GeneratorHarness.Run((TestSpec.Path, TestSpec.With("x64 addi writes(hi) { shl {hi:64}, 32; or {hi:64}, {rs:64}; shr {hi:64}, 1; }").Text));
        SpecAssert.Compiles(run);
        string jit = run.Source("T.Jit.g.cs");
        Assert.Contains("Shl_rm64_imm8", jit);
        Assert.Contains("Shr_rm64_1", jit);
        Assert.Contains("new(\"addi\", HostIsa.X64, HostFeatures.None, 2, 1, [0], 0b0,", jit); // inputs hi (preloading output hi) and rs; a 64-bit write last
        Assert.Contains("[0], [-1, 1], 0,", jit); // hi first written by line 0; rs last read by line 1
    }

    [Fact]
    public void AnOptionalCpuFeatureBecomesARunTimeGuard()
    {
        GeneratorRun run = GeneratorHarness.Run((TestSpec.Path, TestSpec.With("x64 addi writes(rt) { lzcnt {rt}, {rs}; }").Text));
        SpecAssert.Compiles(run);
        Assert.Contains("HostFeatures.Lzcnt", run.Source("T.Jit.g.cs"));
    }

    [Fact]
    public void UnknownMnemonic() => TestSpec.Expect(
        "x64 addi writes(rt) { /*@*/movx {rt}, {rs}; }", "ISA0013", "unknown x64 mnemonic 'movx'");

    [Fact]
    public void NoFormTakesTheOperands() => TestSpec.Expect(
        "x64 addi writes(rt) { /*@*/bswap {rt}, {rs}; }", "ISA0013", "no form of 'bswap'", "(r32, r32)");

    [Fact]
    public void ImmediateTooWideForTheForm() => TestSpec.Expect(
        "x64 addi writes(rt) { mov {rt:64}, {rs:64}; /*@*/and {rt:64}, 0xffffffff; }", "ISA0013", "no form of 'and'", "(r64, imm)");

    [Fact]
    public void UnknownPlaceholder() => TestSpec.Expect(
        "x64 addi writes(rt) { mov {rt}, /*@*/{nosuch}; }", "ISA0013", "unknown placeholder '{nosuch}'");

    [Fact]
    public void BadPlaceholderWidth() => TestSpec.Expect(
        "x64 addi writes(rt) { mov {rt}, /*@*/{rs:24}; }", "ISA0013", "8, 16, 32 or 64 bits");

    [Fact]
    public void AFieldValueHasNoWidth() => TestSpec.Expect(
        "x64 addi writes(rt) { mov {rt}, /*@*/{imm:32}; }", "ISA0013", "field value");

    [Fact]
    public void HostRegistersCannotBeNamed() => TestSpec.Expect(
        "x64 addi writes(rt) { mov {rt}, /*@*/eax; }", "ISA0013", "no host register");

    [Fact]
    public void UndeclaredWrite() => TestSpec.Expect(
        "x64 addi { /*@*/mov {rt}, {rs}; }", "ISA0013", "writes '{rt}'", "writes(...)");

    [Fact]
    public void DeclaredWriteNeverMade() => TestSpec.Expect(
        "x64 addi writes(rt, /*@*/hi) { mov {rt}, {rs}; }", "ISA0013", "never writes 'hi'");

    [Fact]
    public void WritesNamesAFieldValue() => TestSpec.Expect(
        "x64 addi writes(/*@*/imm) { mov {rt}, {rs}; }", "ISA0013", "field value");

    [Fact]
    public void TemporaryReadBeforeWritten() => TestSpec.Expect(
        "x64 addi writes(rt) { /*@*/add {t0}, {rs}; mov {rt}, {t0}; }", "ISA0013", "reads temporary '{t0}'");

    [Fact]
    public void ImplicitRegisters() => TestSpec.Expect(
        "x64 addi writes(rt) { mov {rt}, {rs}; /*@*/cdq; }", "ISA0013", "implicitly");

    [Fact]
    public void ControlFlow() => TestSpec.Expect(
        "x64 addi writes(rt) { mov {rt}, {rs}; /*@*/ret; }", "ISA0013", "control flow");

    [Fact]
    public void UncheckableCpuFeature() => TestSpec.Expect(
        "x64 addi writes(rt) { /*@*/adcx {rt}, {rs}; }", "ISA0013", "ADX");

    [Fact]
    public void ImmediateNotLast() => TestSpec.Expect(
        "x64 addi writes(rt) { imul {rt}, /*@*/5, {rs}; }", "ISA0013", "last operand");

    [Fact]
    public void TemplateOfUnknownInstruction() => TestSpec.Expect(
        "x64 /*@*/nosuch writes(rt) { mov {rt}, {rs}; }", "ISA0002", "unknown instruction 'nosuch'");

    [Fact]
    public void TwoTemplatesForOneInstruction() => TestSpec.Expect(
        "x64 addi writes(rt) { mov {rt}, {rs}; }\nx64 /*@*/addi writes(rt) { mov {rt}, {rs}; }", "ISA0004", "already has an x64 template");

    [Fact]
    public void MissingSemicolon() => TestSpec.Expect(
        "x64 addi writes(rt) { mov {rt}, {rs} /*@*/}", "ISA0001", "';'");

    [Fact]
    public void AnOverrideDropsTheBaseTemplateButAnInheritedInstructionKeepsIt()
    {
        string derived = """
            isa d : t {
              endian little "d";
              override insn addi : i(op=0b000001) "addi {rt}, {rs}, {simm}" { r[rt] = r[rs] - u32(simm); }
            }
            """;
        GeneratorRun run = GeneratorHarness.Run(
            (TestSpec.Path, TestSpec.With("x64 addi writes(rt) { mov {rt}, {rs}; add {rt}, {simm}; }").Text),
            ("/specs/d.isa", derived));
        SpecAssert.Compiles(run);
        Assert.Contains("X64_addi", run.Source("T.Jit.g.cs"));
        Assert.DoesNotContain("X64_addi", run.Source("D.Jit.g.cs"));
    }
}
