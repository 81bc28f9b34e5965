using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Isa.Runtime.Cpu;

/// <summary>
/// The native memory that holds a CPU's architectural state, so that it never moves: generated
/// interpreters use it through a ref, execution hosts address it from machine code. A header of
/// <see cref="HeaderBytes"/> bytes in front of the state is scratch space for the execution host
/// (its exit reason, saved stack pointer, fault record ...), reachable at negative offsets from the
/// state pointer that JIT code keeps in a register.
/// </summary>
public sealed unsafe class CpuStateBlock : IDisposable
{
    public const int HeaderBytes = 512;
    private byte* _memory;

    public CpuStateBlock(int stateBytes)
    {
        StateBytes = stateBytes;
        _memory = (byte*)NativeMemory.AlignedAlloc((nuint)(HeaderBytes + stateBytes), 64);
        NativeMemory.Clear(_memory, (nuint)(HeaderBytes + stateBytes));
    }

    ~CpuStateBlock() => Free();

    public int StateBytes { get; }

    /// <summary>The address of the state (the header lies just before it).</summary>
    public nint State => (nint)(_memory + HeaderBytes);

    public ref T As<T>()
        where T : unmanaged => ref Unsafe.AsRef<T>(_memory + HeaderBytes);

    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    private void Free()
    {
        if (_memory != null)
        {
            NativeMemory.AlignedFree(_memory);
            _memory = null;
        }
    }
}
