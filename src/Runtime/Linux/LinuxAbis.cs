using Isa.Runtime.Cpu;
using Isa.Runtime.Linux.Abi;

namespace Isa.Runtime.Linux;

/// <summary>The Linux ABIs the runtime implements, by the name a spec gives in its <c>linux_abi</c> setting.</summary>
public static class LinuxAbis
{
    public static LinuxAbi For(GuestIsa isa) => isa.LinuxAbi switch
    {
        "mips_o32" => new MipsO32Abi(isa),
        null => throw new NotSupportedException($"the {isa.Name} spec names no Linux ABI (linux_abi setting), so its programs cannot run"),
        string name => throw new NotSupportedException($"the {isa.Name} spec asks for Linux ABI '{name}', which the runtime does not implement"),
    };
}
