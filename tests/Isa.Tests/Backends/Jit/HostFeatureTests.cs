using System.Runtime.Intrinsics.X86;
using Isa.Backends.Jit;
using Isa.Runtime.Jit;

namespace Isa.Tests.Backends.Jit;

/// <summary>
/// The JIT reads the CPU's features from CPUID (an ahead-of-time build of isa sees the .NET
/// intrinsics' IsSupported fixed at compile time). Under the .NET JIT the intrinsics report this
/// CPU, so both must agree here.
/// </summary>
public sealed class HostFeatureTests
{
    [Fact]
    public void CpuidFeaturesAgreeWithWhatTheDotNetJitSees()
    {
        HostFeatures detected = new JitOptions().HostFeatures;
        (HostFeatures Feature, bool Runtime)[] expected =
        [
            (HostFeatures.Lzcnt, Lzcnt.IsSupported),
            (HostFeatures.Bmi1, Bmi1.IsSupported),
            (HostFeatures.Bmi2, Bmi2.IsSupported),
            (HostFeatures.Popcnt, Popcnt.IsSupported),
            (HostFeatures.Fma, Fma.IsSupported),
            (HostFeatures.Sse41, Sse41.IsSupported),
        ];
        foreach ((HostFeatures feature, bool runtime) in expected)
        {
            Assert.True(((detected & feature) != 0) == runtime, $"{feature}: CPUID says {(detected & feature) != 0}, .NET says {runtime}");
        }
    }
}
