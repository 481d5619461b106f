using GraNet.Data;
using Xunit;

namespace GraNet.Tests.Data;

public class BatchLoaderTests
{
    private static ImageDataset Numbered(int count, ImageShape shape)
    {
        var pixels = new byte[count * shape.Size];
        var labels = new byte[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = (byte)(i % 10);
            Array.Fill(pixels, (byte)i, i * shape.Size, shape.Size);
        }
        return new ImageDataset("numbered", shape, 10, pixels, labels);
    }

    [Fact]
    public void Normalises_each_pixel_with_the_channel_statistics()
    {
        var data = new ImageDataset("one", new ImageShape(2, 1, 1), 10, [51, 255], [3]);
        var loader = new BatchLoader(data, null, [0.5f, 0.25f], [0.5f, 0.25f], 4);
        var batch = loader.Epoch(0, false, false, 0).Single();
        Assert.Equal(1, batch.Count);
        Assert.Equal(((51 / 255f) - 0.5f) / 0.5f, batch.Images[0], 6);
        Assert.Equal((1 - 0.25f) / 0.25f, batch.Images[1], 6);
        Assert.Equal(3, batch.Labels[0]);
    }

    [Fact]
    public void Serves_every_item_once_per_epoch_with_a_partial_last_batch()
    {
        var data = Numbered(10, new ImageShape(1, 2, 2));
        var loader = new BatchLoader(data, null, [0f], [1f], 4);
        Assert.Equal(3, loader.BatchesPerEpoch);
        var counts = new List<int>();
        var seen = new List<int>();
        foreach (var batch in loader.Epoch(1, shuffle: true, augment: false, seed: 5))
        {
            counts.Add(batch.Count);
            for (int i = 0; i < batch.Count; i++)
            {
                seen.Add((int)Math.Round(batch.Images[i * 4] * 255));
            }
        }
        Assert.Equal([4, 4, 2], counts);
        Assert.Equal(Enumerable.Range(0, 10), seen.Order());
    }

    private static List<int> Order(BatchLoader loader, int epoch, int seed) =>
        loader.Epoch(epoch, true, false, seed).SelectMany(b => Enumerable.Range(0, b.Count).Select(i => (int)Math.Round(b.Images[i * 4] * 255)).ToList()).ToList();

    [Fact]
    public void The_order_depends_only_on_seed_and_epoch()
    {
        var loader = new BatchLoader(Numbered(50, new ImageShape(1, 2, 2)), null, [0f], [1f], 8);
        Assert.Equal(Order(loader, 3, 1), Order(loader, 3, 1));
        Assert.NotEqual(Order(loader, 3, 1), Order(loader, 4, 1));
        Assert.NotEqual(Order(loader, 3, 1), Order(loader, 3, 2));
    }

    [Fact]
    public void Serves_only_its_indices()
    {
        var loader = new BatchLoader(Numbered(20, new ImageShape(1, 2, 2)), [2, 5, 7], [0f], [1f], 8);
        Assert.Equal([2, 5, 7], Order(loader, 0, 1).Order());
    }

    [Fact]
    public void Augmentation_crops_and_flips_within_the_padded_image()
    {
        // One 4x4 image whose pixel values are 1..16; padding is 0.
        var pixels = Enumerable.Range(1, 16).Select(v => (byte)v).ToArray();
        var data = new ImageDataset("grid", new ImageShape(1, 4, 4), 10, pixels, [0]);
        var loader = new BatchLoader(data, null, [0f], [1f / 255f], 1);
        bool changed = false;
        for (int epoch = 0; epoch < 20; epoch++)
        {
            var batch = loader.Epoch(epoch, false, true, 3).Single();
            var values = batch.Images.Take(16).Select(v => (int)Math.Round(v)).ToArray();
            Assert.All(values, v => Assert.InRange(v, 0, 16));
            for (int row = 0; row < 4; row++)
            {
                // A shifted (and maybe mirrored) row: its image values come from one source row, in steps of +1 or -1.
                var kept = values.Skip(row * 4).Take(4).Where(v => v > 0).ToArray();
                Assert.Single(kept.Select(v => (v - 1) / 4).Distinct().DefaultIfEmpty());
                Assert.True(kept.Zip(kept.Skip(1), (a, b) => b - a).Distinct().Count() <= 1);
                Assert.All(kept.Zip(kept.Skip(1), (a, b) => Math.Abs(b - a)), d => Assert.Equal(1, d));
            }
            changed |= !values.SequenceEqual(pixels.Select(p => (int)p));
        }
        Assert.True(changed);
    }

    [Fact]
    public void Reflection_padding_mirrors_about_the_edge_pixel()
    {
        // An 8x8 image of distinct values; every augmented image must be one of the 9 x 9 x 2 crops and flips of its
        // reflection-padded version (PyTorch's reflect: index -1 is 1, index 8 is 6), and some must reach into the padding.
        const int n = 8;
        var pixels = Enumerable.Range(1, n * n).Select(v => (byte)v).ToArray();
        var data = new ImageDataset("grid", new ImageShape(1, n, n), 10, pixels, [0]);
        var loader = new BatchLoader(data, null, [0f], [1f / 255f], 1, reflectPadding: true);
        static int Reflect(int i) => i < 0 ? -i : i >= n ? (2 * n) - 2 - i : i;
        var candidates = new List<int[]>();
        for (int dy = -4; dy <= 4; dy++)
        {
            for (int dx = -4; dx <= 4; dx++)
            {
                foreach (bool flip in new[] { false, true })
                {
                    candidates.Add(Enumerable.Range(0, n * n).Select(p => (int)pixels[(Reflect((p / n) + dy) * n) + Reflect((flip ? n - 1 - (p % n) : p % n) + dx)]).ToArray());
                }
            }
        }
        bool padded = false;
        for (int epoch = 0; epoch < 30; epoch++)
        {
            var values = loader.Epoch(epoch, false, true, 5).Single().Images.Take(n * n).Select(v => (int)Math.Round(v)).ToArray();
            Assert.Contains(candidates, c => c.SequenceEqual(values));
            Assert.DoesNotContain(0, values);
            padded |= values.Distinct().Count() < n * n;
        }
        Assert.True(padded);
    }

    [Fact]
    public void Each_batch_of_an_epoch_draws_its_own_crops_and_flips()
    {
        // Two copies of one 4x4 image (values 1..16), one per batch, in a fixed order: with crops and flips drawn from
        // (seed, epoch, batch), the two batches of an epoch get the same one of the 9 x 9 x 2 = 162 transforms only by chance
        // (1 in 162 per epoch), so over 10 epochs some epoch must show them different. Drawn from (seed, epoch) alone, the
        // two would always match.
        var image = Enumerable.Range(1, 16).Select(v => (byte)v).ToArray();
        var data = new ImageDataset("twins", new ImageShape(1, 4, 4), 10, [.. image, .. image], [0, 0]);
        var loader = new BatchLoader(data, null, [0f], [1f / 255f], 1);
        int differing = 0;
        for (int epoch = 0; epoch < 10; epoch++)
        {
            var batches = loader.Epoch(epoch, shuffle: false, augment: true, seed: 3).Select(b => b.Images.Take(16).Select(v => (int)Math.Round(v)).ToArray()).ToList();
            Assert.Equal(2, batches.Count);
            differing += batches[0].SequenceEqual(batches[1]) ? 0 : 1;
        }
        Assert.True(differing > 0, "every epoch gave both batches the same crop and flip");
    }
}
