/** The camera as a video element's source, and the frame clock the live loop follows. */
import type { NextFrame } from '../lib/frame-loop';

export interface Camera {
  stop(): void;
}

/**
 * Starts the camera into `video`. Rejects with getUserMedia's DOMException (see
 * describeCameraError), or a 'NoMediaDevices' error where the page cannot have one.
 * `onEnded` fires when the track ends without `stop()` (unplugged, revoked).
 */
export async function startCamera(video: HTMLVideoElement, onEnded: () => void): Promise<Camera> {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw Object.assign(new Error('navigator.mediaDevices is not available'), {
      name: 'NoMediaDevices',
    });
  }
  const stream = await navigator.mediaDevices.getUserMedia({
    video: { facingMode: 'environment', width: { ideal: 1280 }, height: { ideal: 720 } },
    audio: false,
  });
  let stopped = false;
  for (const track of stream.getVideoTracks()) {
    track.addEventListener('ended', () => {
      if (!stopped) onEnded();
    });
  }
  video.srcObject = stream;
  await video.play();
  return {
    stop() {
      stopped = true;
      for (const track of stream.getTracks()) track.stop();
      video.srcObject = null;
    },
  };
}

/**
 * The next frame of `video`: `requestVideoFrameCallback` (fires once per new camera
 * frame, so a fast model never classifies the same frame twice), else the display's
 * animation frame.
 */
export function videoFrames(video: HTMLVideoElement): NextFrame {
  if ('requestVideoFrameCallback' in video) {
    return (callback) => {
      const handle = video.requestVideoFrameCallback(() => callback());
      return () => video.cancelVideoFrameCallback(handle);
    };
  }
  return (callback) => {
    const handle = requestAnimationFrame(() => callback());
    return () => cancelAnimationFrame(handle);
  };
}

/** Decodes an image file (upload or drop) into an <img> ready to classify. */
export async function loadImageFile(file: File, img: HTMLImageElement): Promise<void> {
  if (!file.type.startsWith('image/')) {
    throw new Error(`${file.name} is not an image (type ${file.type || 'unknown'})`);
  }
  const old = img.src;
  img.src = URL.createObjectURL(file);
  try {
    await img.decode();
  } catch {
    throw new Error(`${file.name} could not be decoded as an image`);
  } finally {
    if (old.startsWith('blob:')) URL.revokeObjectURL(old);
  }
}
