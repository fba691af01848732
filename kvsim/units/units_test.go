package units

import "testing"

func TestFormats(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{Count(174.6e9), "174.6B"},
		{Count(5919000), "5.919M"},
		{Count(3.2e15), "3.2P"},
		{Bytes(327680), "320 KiB"},
		{Bytes(512), "512 B"},
		{Bytes(1.5 * (1 << 30)), "1.5 GiB"},
		{Seconds(0.0123), "12.3 ms"},
		{Seconds(42e-6), "42 µs"},
		{Seconds(2.5), "2.5 s"},
		{Percent(0.3641), "36.4%"},
		{Times(4.9), "4.90x"},
		{Times(13.4), "13x"},
		{GiBLabel(GiB(80 << 30)), "80 GiB"},
		{GiBLabel(0.5), "512 MiB"},
		{GiBLabel(150), "150 GiB"},
		{Thousands(1234567), "1,234,567"},
		{Thousands(-1234), "-1,234"},
		{Thousands(12), "12"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
