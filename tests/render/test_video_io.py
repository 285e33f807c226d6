import numpy as np
import pytest

from vidreason.render.video_io import VideoError, read_video, write_mp4


def _frames(n=12, h=64, w=96):
    rng = np.random.default_rng(0)
    base = np.zeros((n, h, w, 3), np.uint8)
    for i in range(n):
        base[i, :, : 4 + 6 * i] = (200, 40, 40)
    return base + rng.integers(0, 8, base.shape, dtype=np.uint8)


def test_roundtrip_keeps_shape_rate_and_content(tmp_path):
    frames = _frames()
    path = write_mp4(frames, tmp_path / "a.mp4", fps=16)
    video = read_video(path)
    assert video.frames.shape == frames.shape
    assert video.fps == pytest.approx(16)
    assert np.abs(video.frames.astype(int) - frames).mean() < 6


def test_same_frames_give_the_same_bytes(tmp_path):
    frames = _frames()
    a = write_mp4(frames, tmp_path / "a.mp4", fps=16).read_bytes()
    b = write_mp4(frames, tmp_path / "b.mp4", fps=16).read_bytes()
    assert a == b


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "empty"), (b"not a video at all" * 50, "cannot decode"), (None, "no such video")],
)
def test_bad_files_raise_one_line_naming_the_file(tmp_path, content, message):
    path = tmp_path / "bad.mp4"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(VideoError) as info:
        read_video(path)
    text = str(info.value)
    assert str(path) in text and message in text and "\n" not in text


def test_truncated_file_is_an_error_or_fewer_frames(tmp_path):
    path = write_mp4(_frames(), tmp_path / "a.mp4", fps=16)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(VideoError, match=str(path)):
        read_video(path)


def test_odd_sizes_are_refused(tmp_path):
    with pytest.raises(ValueError, match="even"):
        write_mp4(np.zeros((2, 15, 16, 3), np.uint8), tmp_path / "x.mp4", fps=8)


def test_timestamps_survive_dropped_frames(tmp_path):
    frames = _frames(n=6)
    video = read_video(write_mp4(frames, tmp_path / "d.mp4", fps=8, pts=[0, 1, 4, 5, 6, 9]))
    assert video.times is not None
    assert np.allclose(video.times, np.array([0, 1, 4, 5, 6, 9]) / 8)


def _boxed(n=10, h=96, w=160, pad=32):
    """Frames whose picture sits between black pillarbox bars ``pad`` px wide."""
    frames = np.zeros((n, h, w, 3), np.uint8)
    frames[:, :, pad : w - pad] = (220, 220, 210)
    for i in range(n):
        frames[i, 40:56, pad + 4 + 6 * i : pad + 20 + 6 * i] = (200, 40, 40)
    return frames


def test_read_with_size_crops_bars_and_resizes_each_frame(tmp_path):
    path = write_mp4(_boxed(), tmp_path / "p.mp4", fps=16)
    video = read_video(path, size=(48, 48))
    assert video.frames.shape == (10, 48, 48, 3)
    assert video.frames[:, :, :2].min() > 150  # the bars are gone, the picture fills it
    assert np.allclose(video.times, np.arange(10) / 16)


def test_read_until_stops_at_the_given_time(tmp_path):
    path = write_mp4(_frames(n=40), tmp_path / "l.mp4", fps=10)
    video = read_video(path, until=1.25)
    assert video.n_frames == 13  # 0.0 s .. 1.2 s
    assert video.times[-1] == pytest.approx(1.2)


def test_read_until_follows_timestamps_of_dropped_frames(tmp_path):
    path = write_mp4(_frames(n=6), tmp_path / "d.mp4", fps=8, pts=[0, 1, 4, 5, 6, 9])
    video = read_video(path, size=(48, 32), until=0.7)
    assert np.allclose(video.times, np.array([0, 1, 4, 5]) / 8)


def test_frame_limit_counts_only_what_is_kept(tmp_path):
    path = write_mp4(_frames(n=30), tmp_path / "m.mp4", fps=10)
    assert read_video(path, until=0.5, max_frames=8).n_frames == 6
    with pytest.raises(VideoError, match="more than 8 frames"):
        read_video(path, max_frames=8)


def test_write_takes_a_generator(tmp_path):
    frames = _frames()
    a = write_mp4(frames, tmp_path / "a.mp4", fps=16).read_bytes()
    b = write_mp4((f for f in frames), tmp_path / "b.mp4", fps=16).read_bytes()
    assert a == b


@pytest.mark.parametrize("budget", [64 << 20, 0])  # leading frames kept, or decoded twice
def test_read_with_size_gives_what_decoding_each_frame_by_itself_gives(
    tmp_path, monkeypatch, budget
):
    import av

    from vidreason.render import video_io

    rng = np.random.default_rng(3)
    frames = np.zeros((20, 96, 128, 3), np.uint8)
    frames[:, 8:-8, 16:-16] = rng.integers(30, 255, (20, 80, 96, 3), dtype=np.uint8)
    path = write_mp4(frames, tmp_path / "bars.mp4", fps=8)
    with av.open(str(path)) as c:  # PyAV's own conversion, one frame at a time
        plain = [f.to_ndarray(format="rgb24") for f in c.decode(c.streams.video[0])]
    x0, y0, x1, y1 = video_io.content_box(np.max([f.max(axis=2) for f in plain[:16]], axis=0))
    want = np.stack([video_io.fit(f[y0:y1, x0:x1], (48, 40)) for f in plain])
    monkeypatch.setattr(video_io, "BAR_BUFFER", budget)
    got = read_video(path, size=(48, 40))
    assert (x0, y0, x1, y1) == (16, 8, 112, 88)
    np.testing.assert_array_equal(got.frames, want)
    np.testing.assert_array_equal(read_video(path).frames, np.stack(plain))


def test_the_same_frames_give_the_same_bytes_at_any_width(tmp_path):
    """x264's AVX-512 lookahead read memory it never wrote where a picture is not a whole
    number of 16-macroblock rows wide: the same frames gave other bytes from one encode
    to the next on such a CPU (capped at AVX2 there, ``encoding.x264_params``)."""
    yy, xx = np.mgrid[0:96, 0:160]
    frames = np.stack(
        [
            np.stack(
                [xx * 2 % 255, yy * 3 % 255, ((xx - 3 * t) ** 2 + (yy - 48) ** 2 < 40) * 200], -1
            )
            for t in range(24)
        ]
    ).astype(np.uint8)
    noise = np.random.default_rng(0).integers(0, 255, (4, 128, 128, 3), dtype=np.uint8)
    files = set()
    for k in range(6):
        files.add(
            write_mp4(frames, tmp_path / f"{k}.mp4", 16, crf=15, preset="veryfast").read_bytes()
        )
        write_mp4(noise, tmp_path / "other.mp4", 16)  # leaves other data on the heap
    assert len(files) == 1
