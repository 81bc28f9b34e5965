using Isa.Backends.Jit;
using Isa.Guests;
using Isa.Runtime.Cpu;

namespace Isa.Tests.Backends.Jit;

/// <summary>
/// The spec files' test vectors on the JIT (translated on first visit, so each instruction runs as
/// native code where it has a lowering): rounding modes, NaNs, flags and FP traps included.
/// </summary>
public sealed class JitSpecVectorTests
{
    public static TheoryData<string, int> Vectors() => Specs.SpecVectorTests.Vectors();

    [Theory]
    [MemberData(nameof(Vectors))]
    public void VectorPassesOnTheJit(string isaName, int index)
    {
        GuestIsa isa = IsaCatalog.Find(isaName)!;
        SpecTestVector vector = isa.TestVectors[index];
        JitEngine? engine = null;
        try
        {
            IReadOnlyList<string> failures = SpecTestRunner.Run(isa, vector, memory =>
            {
                // Blocks no longer than the vector: a longer one would exceed the budget and be interpreted.
                engine = new JitEngine(isa, memory, new JitOptions { InterpretFirstVisit = false, MaxBlockInstructions = vector.Steps });
                return engine.CreateCpu();
            });
            Assert.True(failures.Count == 0, $"{isa.Name} {vector}:\n  " + string.Join("\n  ", failures));
        }
        finally
        {
            engine?.Dispose();
        }
    }
}
