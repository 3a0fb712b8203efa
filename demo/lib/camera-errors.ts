/**
 * What to tell the user when the camera cannot be used: what happened and what to do,
 * from the DOMException names `getUserMedia` rejects with (and a track that ends).
 */

export interface Problem {
  title: string;
  advice: string;
}

const UPLOAD = 'You can still classify a photo: drop an image on the page or choose a file.';

export function describeCameraError(error: unknown): Problem {
  const name =
    typeof error === 'object' && error !== null ? String((error as { name?: unknown }).name) : '';
  const message = error instanceof Error ? error.message : String(error);
  switch (name) {
    case 'NotAllowedError':
    case 'PermissionDeniedError':
      return {
        title: 'Camera permission was denied.',
        advice: `Allow the camera for this site (the camera icon in the address bar), then press “Start camera”. ${UPLOAD}`,
      };
    case 'NotFoundError':
    case 'DevicesNotFoundError':
    case 'OverconstrainedError':
      return {
        title: 'No camera was found.',
        advice: `Connect a camera and press “Start camera”. ${UPLOAD}`,
      };
    case 'NotReadableError':
    case 'TrackStartError':
    case 'AbortError':
      return {
        title: 'The camera could not be started.',
        advice: `Another application may be using it: close it, then press “Start camera”. ${UPLOAD}`,
      };
    case 'SecurityError':
    case 'NoMediaDevices':
      return {
        title: 'This page cannot use a camera here.',
        advice: `Cameras work only on https:// or http://localhost pages; open the demo from \`npm run demo\`. ${UPLOAD}`,
      };
    default:
      return { title: `The camera failed: ${message}`, advice: UPLOAD };
  }
}

/** The camera's video track ended: unplugged, turned off, or taken by the system. */
export function cameraDisconnected(): Problem {
  return {
    title: 'The camera disconnected.',
    advice: `Reconnect it and press “Start camera”. ${UPLOAD}`,
  };
}

export function describeLoadError(modelName: string, error: unknown): Problem {
  const message = error instanceof Error ? error.message : String(error);
  return {
    title: `${modelName} could not be loaded: ${message}`,
    advice: 'The previous model keeps running. Pick another model, or try this one again.',
  };
}
