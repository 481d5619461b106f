using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GraNet.Inference;

/// <summary>
/// Our sparse × dense product for inference: <c>output[o, :] = bias[o] + Σ_k W[o, k] · input[k, :]</c>
/// with a CSR weight and row-major dense operands, so that each non-zero weight scales one
/// contiguous row of the input. The columns are processed in tiles of eight <see cref="Vector{T}"/>
/// registers that stay in registers while a row's non-zeros are accumulated (one load and one
/// fused multiply-add per non-zero and vector), and the tile loop is outside the row loop so the
/// tile of the input stays in cache across rows.
/// </summary>
public static class SparseKernels
{
    /// <summary>
    /// <paramref name="output"/> (<c>[W.Rows, columns]</c>) = bias + W · <paramref name="input"/>
    /// (<c>[W.Columns, columns]</c>), for the rows <paramref name="firstRow"/> … <paramref name="lastRow"/> − 1;
    /// with <paramref name="relu"/>, <c>max(·, 0)</c> of that.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply(CsrMatrix weight, ReadOnlySpan<float> bias, ReadOnlySpan<float> input, Span<float> output, int columns, int firstRow, int lastRow, bool relu = false)
    {
        ArgumentNullException.ThrowIfNull(weight);
        if (columns < 1 || input.Length < (long)weight.Columns * columns || output.Length < (long)weight.Rows * columns)
        {
            throw new ArgumentException($"Buffers of {input.Length} and {output.Length} values do not fit a {weight.Rows}x{weight.Columns} matrix times {columns} columns.");
        }
        if (bias.Length != 0 && bias.Length != weight.Rows)
        {
            throw new ArgumentException($"{bias.Length} biases for {weight.Rows} rows.", nameof(bias));
        }
        if (firstRow < 0 || lastRow > weight.Rows || firstRow > lastRow)
        {
            throw new ArgumentOutOfRangeException(nameof(firstRow), $"Rows {firstRow}..{lastRow} are outside 0..{weight.Rows}.");
        }
        int width = Vector<float>.Count;
        int tile = 8 * width;
        int column = 0;
        for (; column + tile <= columns; column += tile)
        {
            WidestTile(weight, bias, input, output, columns, column, firstRow, lastRow, relu);
        }
        for (; column + width <= columns; column += width)
        {
            NarrowTile(weight, bias, input, output, columns, column, firstRow, lastRow, relu);
        }
        if (column < columns)
        {
            ScalarColumns(weight, bias, input, output, columns, column, firstRow, lastRow, relu);
        }
    }

    /// <summary>Runs <paramref name="body"/>(first, last) over <paramref name="rows"/> rows split into <paramref name="threads"/> contiguous blocks.</summary>
    public static void ForRowBlocks(int rows, int threads, Action<int, int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (threads <= 1 || rows < 2 * threads)
        {
            body(0, rows);
            return;
        }
        // Even split: block p is rows [rows·p/threads, rows·(p+1)/threads), never empty since rows >= 2·threads.
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, part =>
            body((int)((long)rows * part / threads), (int)((long)rows * (part + 1) / threads)));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WidestTile(CsrMatrix weight, ReadOnlySpan<float> bias, ReadOnlySpan<float> input, Span<float> output, int columns, int column, int firstRow, int lastRow, bool relu)
    {
        nuint width = (nuint)Vector<float>.Count;
        ref float source = ref MemoryMarshal.GetReference(input);
        ref float target = ref MemoryMarshal.GetReference(output);
        int[] starts = weight.RowStarts;
        int[] indices = weight.ColumnIndices;
        float[] values = weight.Values;
        for (int row = firstRow; row < lastRow; row++)
        {
            var a0 = new Vector<float>(bias.Length == 0 ? 0 : bias[row]);
            var (a1, a2, a3, a4, a5, a6, a7) = (a0, a0, a0, a0, a0, a0, a0);
            for (int k = starts[row]; k < starts[row + 1]; k++)
            {
                var w = new Vector<float>(values[k]);
                ref float from = ref Unsafe.Add(ref source, (nint)(((long)indices[k] * columns) + column));
                a0 = Vector.FusedMultiplyAdd(w, Vector.LoadUnsafe(ref from), a0);
                a1 = Vector.FusedMultiplyAdd(w, Vector.LoadUnsafe(ref from, width), a1);
                a2 = Vector.FusedMultiplyAdd(w, Vector.LoadUnsafe(ref from, 2 * width), a2);
                a3 = Vector.FusedMultiplyAdd(w, Vector.LoadUnsafe(ref from, 3 * width), a3);
                a4 = Vector.FusedMultiplyAdd(w, Vector.LoadUnsafe(ref from, 4 * width), a4);
                a5 = Vector.FusedMultiplyAdd(w, Vector.LoadUnsafe(ref from, 5 * width), a5);
                a6 = Vector.FusedMultiplyAdd(w, Vector.LoadUnsafe(ref from, 6 * width), a6);
                a7 = Vector.FusedMultiplyAdd(w, Vector.LoadUnsafe(ref from, 7 * width), a7);
            }
            ref float to = ref Unsafe.Add(ref target, (nint)(((long)row * columns) + column));
            Store(a0, ref to, 0, relu);
            Store(a1, ref to, width, relu);
            Store(a2, ref to, 2 * width, relu);
            Store(a3, ref to, 3 * width, relu);
            Store(a4, ref to, 4 * width, relu);
            Store(a5, ref to, 5 * width, relu);
            Store(a6, ref to, 6 * width, relu);
            Store(a7, ref to, 7 * width, relu);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector<float> value, ref float target, nuint offset, bool relu) =>
        (relu ? Vector.Max(value, Vector<float>.Zero) : value).StoreUnsafe(ref target, offset);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void NarrowTile(CsrMatrix weight, ReadOnlySpan<float> bias, ReadOnlySpan<float> input, Span<float> output, int columns, int column, int firstRow, int lastRow, bool relu)
    {
        ref float source = ref MemoryMarshal.GetReference(input);
        ref float target = ref MemoryMarshal.GetReference(output);
        for (int row = firstRow; row < lastRow; row++)
        {
            var sum = new Vector<float>(bias.Length == 0 ? 0 : bias[row]);
            for (int k = weight.RowStarts[row]; k < weight.RowStarts[row + 1]; k++)
            {
                sum = Vector.FusedMultiplyAdd(new Vector<float>(weight.Values[k]), Vector.LoadUnsafe(ref source, (nuint)(((long)weight.ColumnIndices[k] * columns) + column)), sum);
            }
            (relu ? Vector.Max(sum, Vector<float>.Zero) : sum).StoreUnsafe(ref target, (nuint)(((long)row * columns) + column));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScalarColumns(CsrMatrix weight, ReadOnlySpan<float> bias, ReadOnlySpan<float> input, Span<float> output, int columns, int column, int firstRow, int lastRow, bool relu)
    {
        for (int row = firstRow; row < lastRow; row++)
        {
            for (int c = column; c < columns; c++)
            {
                float sum = bias.Length == 0 ? 0 : bias[row];
                for (int k = weight.RowStarts[row]; k < weight.RowStarts[row + 1]; k++)
                {
                    sum += weight.Values[k] * input[(weight.ColumnIndices[k] * columns) + c];
                }
                output[(row * columns) + c] = relu ? Math.Max(sum, 0) : sum;
            }
        }
    }

    /// <summary>
    /// Direct sparse convolution (stride 1, no dilation, no padding) of NCHW images
    /// <paramref name="first"/> … <paramref name="last"/> − 1: every non-zero weight
    /// <c>W[o, c, i, j]</c> adds <c>w · input[n, c, y + i, x + j]</c> to <c>output[n, o, y, x]</c>.
    /// Output rows are cut into <see cref="Vector{T}"/>-wide pieces, four of which are accumulated in
    /// registers over a filter's non-zeros; no im2col matrix is built.
    /// </summary>
    /// <param name="weight">The filters as <c>[out, in·kh·kw]</c>.</param>
    /// <remarks>
    /// Output rows a whole number of vectors wide are cut into vectors as they are. Other widths would leave a scalar
    /// remainder on every row (on a 14-wide map, 6 of 14 columns), so there the plane is computed as one flat range
    /// instead: position <c>y·W + x</c> of the input's width <c>W</c>, whose reads for every tap are as contiguous as a
    /// row's; the <c>kw − 1</c> positions per row that wrap into the next row are computed and dropped.
    /// </remarks>
    public static void Convolve(CsrMatrix weight, ReadOnlySpan<float> bias, ReadOnlySpan<float> input, Span<float> output, ConvolutionShape shape, int first, int last)
    {
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.OutWidth % Vector<float>.Count == 0)
        {
            ConvolveRows(weight, bias, input, output, shape, first, last);
        }
        else
        {
            ConvolveFlat(weight, bias, input, output, shape, first, last);
        }
    }

    /// <summary>
    /// Where each non-zero tap <c>W[o, c, i, j]</c> reads in an image, relative to the output position: <c>c·H·W + i·W + j</c>;
    /// first checks that the filters fit <paramref name="shape"/> and the buffers hold images up to <paramref name="last"/>.
    /// </summary>
    private static int[] TapOffsets(CsrMatrix weight, ConvolutionShape shape, int inputLength, int outputLength, int last)
    {
        int inPlane = shape.Height * shape.Width;
        int outPlane = shape.OutHeight * shape.OutWidth;
        if (weight.Columns != shape.Channels * shape.KernelHeight * shape.KernelWidth || inputLength < (long)last * shape.Channels * inPlane || outputLength < (long)last * weight.Rows * outPlane)
        {
            throw new ArgumentException($"A {weight.Rows}x{weight.Columns} filter matrix does not fit {shape}, or the buffers are too small.");
        }
        int kernelArea = shape.KernelHeight * shape.KernelWidth;
        var offsets = new int[weight.NonZero];
        for (int k = 0; k < offsets.Length; k++)
        {
            int column = weight.ColumnIndices[k];
            int channel = column / kernelArea;
            int within = column % kernelArea;
            offsets[k] = (channel * inPlane) + ((within / shape.KernelWidth) * shape.Width) + (within % shape.KernelWidth);
        }
        return offsets;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ConvolveRows(CsrMatrix weight, ReadOnlySpan<float> bias, ReadOnlySpan<float> input, Span<float> output, ConvolutionShape shape, int first, int last)
    {
        int inPlane = shape.Height * shape.Width;
        int outPlane = shape.OutHeight * shape.OutWidth;
        int[] offsets = TapOffsets(weight, shape, input.Length, output.Length, last);
        int width = Vector<float>.Count;
        int vectorsPerRow = shape.OutWidth / width;
        var slotIn = new int[shape.OutHeight * vectorsPerRow];
        var slotOut = new int[slotIn.Length];
        for (int y = 0, s = 0; y < shape.OutHeight; y++)
        {
            for (int v = 0; v < vectorsPerRow; v++, s++)
            {
                slotIn[s] = (y * shape.Width) + (v * width);
                slotOut[s] = (y * shape.OutWidth) + (v * width);
            }
        }
        ref float source = ref MemoryMarshal.GetReference(input);
        ref float target = ref MemoryMarshal.GetReference(output);
        int[] starts = weight.RowStarts;
        float[] values = weight.Values;
        for (int n = first; n < last; n++)
        {
            ref float image = ref Unsafe.Add(ref source, (nint)n * shape.Channels * inPlane);
            for (int o = 0; o < weight.Rows; o++)
            {
                ref float plane = ref Unsafe.Add(ref target, ((nint)n * weight.Rows * outPlane) + ((nint)o * outPlane));
                float b = bias.Length == 0 ? 0 : bias[o];
                int s = 0;
                for (; s + 4 <= slotIn.Length; s += 4)
                {
                    var a0 = new Vector<float>(b);
                    var (a1, a2, a3) = (a0, a0, a0);
                    for (int k = starts[o]; k < starts[o + 1]; k++)
                    {
                        var w = new Vector<float>(values[k]);
                        ref float from = ref Unsafe.Add(ref image, offsets[k]);
                        a0 = Vector.FusedMultiplyAdd(w, Vector.LoadUnsafe(ref from, (nuint)slotIn[s]), a0);
                        a1 = Vector.FusedMultiplyAdd(w, Vector.LoadUnsafe(ref from, (nuint)slotIn[s + 1]), a1);
                        a2 = Vector.FusedMultiplyAdd(w, Vector.LoadUnsafe(ref from, (nuint)slotIn[s + 2]), a2);
                        a3 = Vector.FusedMultiplyAdd(w, Vector.LoadUnsafe(ref from, (nuint)slotIn[s + 3]), a3);
                    }
                    a0.StoreUnsafe(ref plane, (nuint)slotOut[s]);
                    a1.StoreUnsafe(ref plane, (nuint)slotOut[s + 1]);
                    a2.StoreUnsafe(ref plane, (nuint)slotOut[s + 2]);
                    a3.StoreUnsafe(ref plane, (nuint)slotOut[s + 3]);
                }
                for (; s < slotIn.Length; s++)
                {
                    var a = new Vector<float>(b);
                    for (int k = starts[o]; k < starts[o + 1]; k++)
                    {
                        a = Vector.FusedMultiplyAdd(new Vector<float>(values[k]), Vector.LoadUnsafe(ref Unsafe.Add(ref image, offsets[k]), (nuint)slotIn[s]), a);
                    }
                    a.StoreUnsafe(ref plane, (nuint)slotOut[s]);
                }
                for (int y = 0; y < shape.OutHeight; y++)
                {
                    for (int x = vectorsPerRow * width; x < shape.OutWidth; x++)
                    {
                        float sum = b;
                        for (int k = starts[o]; k < starts[o + 1]; k++)
                        {
                            sum += values[k] * Unsafe.Add(ref image, offsets[k] + (y * shape.Width) + x);
                        }
                        Unsafe.Add(ref plane, (y * shape.OutWidth) + x) = sum;
                    }
                }
            }
        }
    }

    /// <summary>
    /// <see cref="Convolve"/> over each output plane as one flat range of positions <c>y·W + x</c> (<c>W</c> the input's
    /// width), up to the last valid one, so that the reads stay inside the image: computed into a scratch plane of the
    /// input's width, then the <c>OutWidth</c> valid columns of each row copied out.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ConvolveFlat(CsrMatrix weight, ReadOnlySpan<float> bias, ReadOnlySpan<float> input, Span<float> output, ConvolutionShape shape, int first, int last)
    {
        int inPlane = shape.Height * shape.Width;
        int outPlane = shape.OutHeight * shape.OutWidth;
        int[] offsets = TapOffsets(weight, shape, input.Length, output.Length, last);
        // Positions 0 … span − 1: the last is the last valid output, (OutHeight − 1, OutWidth − 1), whose widest read is the
        // image's last pixel.
        int span = ((shape.OutHeight - 1) * shape.Width) + shape.OutWidth;
        int width = Vector<float>.Count;
        var scratch = new float[span];
        ref float source = ref MemoryMarshal.GetReference(input);
        ref float wide = ref MemoryMarshal.GetArrayDataReference(scratch);
        int[] starts = weight.RowStarts;
        float[] values = weight.Values;
        for (int n = first; n < last; n++)
        {
            ref float image = ref Unsafe.Add(ref source, (nint)n * shape.Channels * inPlane);
            for (int o = 0; o < weight.Rows; o++)
            {
                float b = bias.Length == 0 ? 0 : bias[o];
                int p = 0;
                for (; p + (4 * width) <= span; p += 4 * width)
                {
                    var a0 = new Vector<float>(b);
                    var (a1, a2, a3) = (a0, a0, a0);
                    for (int k = starts[o]; k < starts[o + 1]; k++)
                    {
                        var w = new Vector<float>(values[k]);
                        ref float from = ref Unsafe.Add(ref image, offsets[k] + p);
                        a0 = Vector.FusedMultiplyAdd(w, Vector.LoadUnsafe(ref from), a0);
                        a1 = Vector.FusedMultiplyAdd(w, Vector.LoadUnsafe(ref from, (nuint)width), a1);
                        a2 = Vector.FusedMultiplyAdd(w, Vector.LoadUnsafe(ref from, (nuint)(2 * width)), a2);
                        a3 = Vector.FusedMultiplyAdd(w, Vector.LoadUnsafe(ref from, (nuint)(3 * width)), a3);
                    }
                    ref float to = ref Unsafe.Add(ref wide, p);
                    a0.StoreUnsafe(ref to);
                    a1.StoreUnsafe(ref to, (nuint)width);
                    a2.StoreUnsafe(ref to, (nuint)(2 * width));
                    a3.StoreUnsafe(ref to, (nuint)(3 * width));
                }
                for (; p + width <= span; p += width)
                {
                    var a = new Vector<float>(b);
                    for (int k = starts[o]; k < starts[o + 1]; k++)
                    {
                        a = Vector.FusedMultiplyAdd(new Vector<float>(values[k]), Vector.LoadUnsafe(ref Unsafe.Add(ref image, offsets[k] + p)), a);
                    }
                    a.StoreUnsafe(ref Unsafe.Add(ref wide, p));
                }
                for (; p < span; p++)
                {
                    float sum = b;
                    for (int k = starts[o]; k < starts[o + 1]; k++)
                    {
                        sum += values[k] * Unsafe.Add(ref image, offsets[k] + p);
                    }
                    scratch[p] = sum;
                }
                var plane = output.Slice((int)(((long)n * weight.Rows * outPlane) + ((long)o * outPlane)), outPlane);
                for (int y = 0; y < shape.OutHeight; y++)
                {
                    scratch.AsSpan(y * shape.Width, shape.OutWidth).CopyTo(plane.Slice(y * shape.OutWidth, shape.OutWidth));
                }
            }
        }
    }

    /// <summary>
    /// 2 x 2 max-pooling with stride 2 (odd last rows and columns dropped, as libtorch does) of
    /// <paramref name="planes"/> contiguous <c>[height, width]</c> planes; with <paramref name="relu"/>,
    /// <c>max(·, 0)</c> of that, which equals pooling after a ReLU.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaxPool2(ReadOnlySpan<float> input, int planes, int height, int width, Span<float> output, bool relu)
    {
        int outHeight = height / 2;
        int outWidth = width / 2;
        if (input.Length < (long)planes * height * width || output.Length < (long)planes * outHeight * outWidth)
        {
            throw new ArgumentException($"Buffers too small for {planes} planes of {height}x{width}.");
        }
        float floor = relu ? 0 : float.NegativeInfinity;
        for (int p = 0; p < planes; p++)
        {
            var plane = input.Slice(p * height * width, height * width);
            var pooled = output.Slice(p * outHeight * outWidth, outHeight * outWidth);
            for (int y = 0; y < outHeight; y++)
            {
                var top = plane.Slice(2 * y * width, width);
                var bottom = plane.Slice(((2 * y) + 1) * width, width);
                var row = pooled.Slice(y * outWidth, outWidth);
                for (int x = 0; x < outWidth; x++)
                {
                    row[x] = MathF.Max(floor, MathF.Max(MathF.Max(top[2 * x], top[(2 * x) + 1]), MathF.Max(bottom[2 * x], bottom[(2 * x) + 1])));
                }
            }
        }
    }

    /// <summary>
    /// Writes the transpose of the row-major <c>[rows, columns]</c> matrix <paramref name="input"/>
    /// into <paramref name="output"/> (<c>[columns, rows]</c>): 8 x 8 blocks in AVX registers
    /// (unpack, shuffle, lane permute) where the CPU has AVX, scalar for the edges and elsewhere.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Transpose(ReadOnlySpan<float> input, int rows, int columns, Span<float> output)
    {
        if (rows < 0 || columns < 0 || input.Length < (long)rows * columns || output.Length < (long)rows * columns)
        {
            throw new ArgumentException($"Buffers of {input.Length} and {output.Length} values do not hold a {rows}x{columns} matrix.");
        }
        int blockRows = Avx.IsSupported ? rows - (rows % 8) : 0;
        int blockColumns = Avx.IsSupported ? columns - (columns % 8) : 0;
        ref float source = ref MemoryMarshal.GetReference(input);
        ref float target = ref MemoryMarshal.GetReference(output);
        for (int r = 0; r < blockRows; r += 8)
        {
            for (int c = 0; c < blockColumns; c += 8)
            {
                Transpose8x8(ref Unsafe.Add(ref source, (r * columns) + c), columns, ref Unsafe.Add(ref target, (c * rows) + r), rows);
            }
        }
        for (int r = 0; r < rows; r++)
        {
            int firstColumn = r < blockRows ? blockColumns : 0;
            for (int c = firstColumn; c < columns; c++)
            {
                output[(c * rows) + r] = input[(r * columns) + c];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Transpose8x8(ref float source, int sourceStride, ref float target, int targetStride)
    {
        var r0 = Vector256.LoadUnsafe(ref source);
        var r1 = Vector256.LoadUnsafe(ref source, (nuint)sourceStride);
        var r2 = Vector256.LoadUnsafe(ref source, (nuint)(2 * sourceStride));
        var r3 = Vector256.LoadUnsafe(ref source, (nuint)(3 * sourceStride));
        var r4 = Vector256.LoadUnsafe(ref source, (nuint)(4 * sourceStride));
        var r5 = Vector256.LoadUnsafe(ref source, (nuint)(5 * sourceStride));
        var r6 = Vector256.LoadUnsafe(ref source, (nuint)(6 * sourceStride));
        var r7 = Vector256.LoadUnsafe(ref source, (nuint)(7 * sourceStride));
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        var s0 = Avx.Shuffle(t0, t2, 0x44);
        var s1 = Avx.Shuffle(t0, t2, 0xEE);
        var s2 = Avx.Shuffle(t1, t3, 0x44);
        var s3 = Avx.Shuffle(t1, t3, 0xEE);
        var s4 = Avx.Shuffle(t4, t6, 0x44);
        var s5 = Avx.Shuffle(t4, t6, 0xEE);
        var s6 = Avx.Shuffle(t5, t7, 0x44);
        var s7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Permute2x128(s0, s4, 0x20).StoreUnsafe(ref target);
        Avx.Permute2x128(s1, s5, 0x20).StoreUnsafe(ref target, (nuint)targetStride);
        Avx.Permute2x128(s2, s6, 0x20).StoreUnsafe(ref target, (nuint)(2 * targetStride));
        Avx.Permute2x128(s3, s7, 0x20).StoreUnsafe(ref target, (nuint)(3 * targetStride));
        Avx.Permute2x128(s0, s4, 0x31).StoreUnsafe(ref target, (nuint)(4 * targetStride));
        Avx.Permute2x128(s1, s5, 0x31).StoreUnsafe(ref target, (nuint)(5 * targetStride));
        Avx.Permute2x128(s2, s6, 0x31).StoreUnsafe(ref target, (nuint)(6 * targetStride));
        Avx.Permute2x128(s3, s7, 0x31).StoreUnsafe(ref target, (nuint)(7 * targetStride));
    }
}
