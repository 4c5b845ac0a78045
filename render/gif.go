package render

import (
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"io"
	"math"
	"os"
	"sort"
	"time"
)

// GIF writes an animated GIF of the PNG images, each shown for delay
// (at least 20 ms: browsers slow shorter frames down), played in a loop
// forever. Every frame gets one palette, made of the images' most
// frequent colours (KLayout draws with few: the layers' and the
// background), so colours do not flicker from frame to frame.
func GIF(w io.Writer, pngs []string, delay time.Duration) error {
	if len(pngs) == 0 {
		return fmt.Errorf("render: no images for the GIF")
	}
	imgs := make([]image.Image, len(pngs))
	for i, p := range pngs {
		img, err := readPNG(p)
		if err != nil {
			return err
		}
		if i > 0 && img.Bounds() != imgs[0].Bounds() {
			return fmt.Errorf("render: %s is %v, the first image %v", p, img.Bounds(), imgs[0].Bounds())
		}
		imgs[i] = img
	}
	pal := palette(imgs)
	cs := max(2, int(math.Round(delay.Seconds()*100)))
	anim := &gif.GIF{LoopCount: 0}
	for _, img := range imgs {
		anim.Image = append(anim.Image, paletted(img, pal))
		anim.Delay = append(anim.Delay, cs)
	}
	if err := gif.EncodeAll(w, anim); err != nil {
		return fmt.Errorf("render: gif: %w", err)
	}
	return nil
}

func readPNG(p string) (image.Image, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("render: %s: %w", p, err)
	}
	return img, nil
}

// palette returns up to 256 colours: the most frequent of the images'.
func palette(imgs []image.Image) color.Palette {
	count := map[color.RGBA]int{}
	for _, img := range imgs {
		b := img.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				count[rgba(img.At(x, y))]++
			}
		}
	}
	cols := make([]color.RGBA, 0, len(count))
	for c := range count {
		cols = append(cols, c)
	}
	sort.Slice(cols, func(i, j int) bool {
		if count[cols[i]] != count[cols[j]] {
			return count[cols[i]] > count[cols[j]]
		}
		return packed(cols[i]) < packed(cols[j])
	})
	if len(cols) > 256 {
		cols = cols[:256]
	}
	pal := make(color.Palette, len(cols))
	for i, c := range cols {
		pal[i] = c
	}
	return pal
}

func rgba(c color.Color) color.RGBA {
	r, g, b, _ := c.RGBA()
	return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 0xff}
}

func packed(c color.RGBA) uint32 { return uint32(c.R)<<16 | uint32(c.G)<<8 | uint32(c.B) }

// paletted maps img onto pal, each colour to its nearest (memoised).
func paletted(img image.Image, pal color.Palette) *image.Paletted {
	b := img.Bounds()
	out := image.NewPaletted(b, pal)
	idx := map[color.RGBA]uint8{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := rgba(img.At(x, y))
			i, ok := idx[c]
			if !ok {
				i = uint8(pal.Index(c))
				idx[c] = i
			}
			out.SetColorIndex(x, y, i)
		}
	}
	return out
}
