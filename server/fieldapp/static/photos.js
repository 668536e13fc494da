// Photos are made smaller on the phone before they are queued: a 12-megapixel photo is
// 4–6 MB, and the park's network is slow when there is one. The longest side becomes at most
// 1600 px, as JPEG at quality 0.82 (about 200–400 KB), which is plenty to read a licence or
// see a production line.

export const MAX_SIDE = 1600;
export const QUALITY = 0.82;

export async function shrink(file, maxSide = MAX_SIDE) {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height));
  const width = Math.max(1, Math.round(bitmap.width * scale));
  const height = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  canvas.getContext("2d").drawImage(bitmap, 0, 0, width, height);
  bitmap.close?.();
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", QUALITY));
  if (!blob) throw new Error("this photo could not be read");
  return blob;
}
