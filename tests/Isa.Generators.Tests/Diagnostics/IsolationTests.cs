using Isa.Generators.Tests.Infrastructure;

namespace Isa.Generators.Tests.Diagnostics;

/// <summary>A spec with errors generates nothing for its ISA and leaves the other ISAs alone.</summary>
public sealed class IsolationTests
{
    private const string Good = """
        isa good {
          endian little "good", big "goodbe";
          register r[4] : u32;
          field ra = [25:24] : r;
          field rb = [23:22] : r;
          field rest = [21:0];
          insn mov = 000001 ra rb rest "mov {ra}, {rb}" { r[ra] = r[rb]; }
          test mov(ra=1, rb=2) "mov r1, r2" { r[2] = 5; } => { r[1] = 5; }
        }
        """;

    [Fact]
    public void ValidSpecCompiles() => SpecAssert.Compiles(GeneratorHarness.Run((TestSpec.Path, TestSpec.With("").Text)));

    [Fact]
    public void BrokenSpecDoesNotAffectOthers()
    {
        MarkedSpec bad = MarkedSpec.Parse("isa bad {\n  endian little \"bad\";\n  register q : u32;\n  insn x = 00000000000000000000000000000000 \"x\" { q = /*@*/-q < 0; }\n}\n");
        GeneratorRun run = GeneratorHarness.Run(("/specs/bad.isa", bad.Text), ("/specs/good.isa", Good));
        SpecAssert.NoCrash(run, "a good and a bad spec");
        SpecAssert.Reports(run, "ISA0003", "/specs/bad.isa", bad.At);
        Assert.All(run.Diagnostics, d => Assert.Equal("/specs/bad.isa", d.Location.GetLineSpan().Path));
        Assert.DoesNotContain(run.HintNames, h => h.StartsWith("Bad.", StringComparison.Ordinal));
        Assert.Contains("Good.Interpreter.g.cs", run.HintNames);
        Assert.Contains("Isa.Guests.Good.GoodIsa.Goodbe", run.Source("IsaCatalog.g.cs"));
        Assert.DoesNotContain("Bad", run.Source("IsaCatalog.g.cs"));
        Assert.Empty(run.CompileDiagnostics);
    }

    [Fact]
    public void SyntaxErrorInBaseIsReportedOnceAndBlocksDerived()
    {
        MarkedSpec spec = TestSpec.With("""insn x : i(op=2) "x" { r[rt] = /*@*/; }""");
        GeneratorRun run = GeneratorHarness.Run((TestSpec.Path, spec.Text), ("/specs/u.isa", "isa u : t { endian little \"u\"; }"), ("/specs/good.isa", Good));
        SpecAssert.NoCrash(run, "a derived isa of a broken base");
        SpecAssert.Reports(run, "ISA0001", TestSpec.Path, spec.At);
        Assert.Single(run.Diagnostics);
        Assert.DoesNotContain(run.HintNames, h => h.StartsWith("T.", StringComparison.Ordinal) || h.StartsWith("U.", StringComparison.Ordinal));
        Assert.Contains("Good.Isa.g.cs", run.HintNames);
    }

    [Fact]
    public void DerivedIsaCompiles()
    {
        string derived = """
            isa u : t {
              endian big "u";
              remove addi;
              insn subi : i(op=0b000011) "subi {rt}, {rs}, {imm}" { r[rt] = r[rs] - u32(imm); }
              test subi(rt=2, rs=1, imm=1) "subi r2, r1, 1" { r[1] = 5; } => { r[2] = 4; }
            }
            """;
        GeneratorRun run = GeneratorHarness.Run((TestSpec.Path, TestSpec.With("").Text), ("/specs/u.isa", derived));
        SpecAssert.Compiles(run);
        Assert.Contains("U.Interpreter.g.cs", run.HintNames);
        Assert.DoesNotContain("addi", run.Source("U.Decoder.g.cs"));
    }
}
